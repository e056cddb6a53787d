import { ok, publicHttp } from '../lib/http';
import { buildOpenApi } from '../lib/http/openapi';
import { webhookDeliveryOperation } from '../schemas/webhooks';
import { handler as cancelDeployment } from './cancelDeployment';
import { handler as createArtifact } from './createArtifact';
import { handler as createDeployment } from './createDeployment';
import { handler as createEnvironment } from './createEnvironment';
import { handler as createRelease } from './createRelease';
import { handler as createToken } from './createToken';
import { handler as createWebhook } from './createWebhook';
import { handler as deleteToken } from './deleteToken';
import { handler as deleteWebhook } from './deleteWebhook';
import { handler as deliveryMetrics } from './deliveryMetrics';
import { handler as downloadArtifact } from './downloadArtifact';
import { handler as environmentHistory } from './environmentHistory';
import { handler as finishDeployment } from './finishDeployment';
import { handler as getArtifact } from './getArtifact';
import { handler as getDeployment } from './getDeployment';
import { handler as getEnvironment } from './getEnvironment';
import { handler as getLatestRelease } from './getLatestRelease';
import { handler as getRelease } from './getRelease';
import { handler as getRepoByName } from './getRepoByName';
import { handler as getUser } from './getUser';
import { handler as health } from './health';
import { handler as listArtifacts } from './listArtifacts';
import { handler as listDeployments } from './listDeployments';
import { handler as listOrgEnvironments } from './listOrgEnvironments';
import { handler as listReleases } from './listReleases';
import { handler as listRepos } from './listRepos';
import { handler as listTokens } from './listTokens';
import { handler as listWebhookDeliveries } from './listWebhookDeliveries';
import { handler as listWebhooks } from './listWebhooks';
import { handler as orgEvents } from './orgEvents';
import { handler as redeliverWebhook } from './redeliverWebhook';
import { handler as repoEnvironments } from './repoEnvironments';
import { handler as repoEvents } from './repoEvents';
import { handler as reviewDeployment } from './reviewDeployment';
import { handler as rollbackEnvironment } from './rollbackEnvironment';
import { handler as updateEnvironment } from './updateEnvironment';

/** Every endpoint the document describes, by operation id (= function name in serverless.yml). */
export const endpoints = {
  health,
  createArtifact,
  listArtifacts,
  getArtifact,
  downloadArtifact,
  createRelease,
  listReleases,
  getRelease,
  getLatestRelease,
  createDeployment,
  listDeployments,
  getDeployment,
  finishDeployment,
  reviewDeployment,
  cancelDeployment,
  listOrgEnvironments,
  createEnvironment,
  getEnvironment,
  updateEnvironment,
  repoEnvironments,
  environmentHistory,
  rollbackEnvironment,
  deliveryMetrics,
  listRepos,
  getRepoByName,
  repoEvents,
  orgEvents,
  createToken,
  listTokens,
  getUser,
  deleteToken,
  createWebhook,
  listWebhooks,
  deleteWebhook,
  listWebhookDeliveries,
  redeliverWebhook,
};

// what webhook receivers get (OpenAPI 3.1 `webhooks`): the requests this API sends rather than answers
const document = { ...buildOpenApi(endpoints, '1.0.0'), webhooks: { event: webhookDeliveryOperation } };

/** GET /api/v1/openapi.json: the OpenAPI 3.1 document of this API, without a token. */
export const handler = publicHttp(
  {
    route: 'GET /api/v1/openapi.json',
    summary: 'This API as an OpenAPI 3.1 document',
    success: { status: 200, schema: { type: 'object' } },
  },
  async () => ok(document),
);
