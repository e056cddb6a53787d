import { http, ok } from '../lib/http';
import { buildOpenApi } from '../lib/http/openapi';
import { contracts } from '../schemas/contracts';
import { site } from '../schemas/contracts/site';
import { webhookDeliveryOperation } from '../schemas/webhooks';

/**
 * What the document describes: every route under /api/v1 but this document itself (the dashboard's page and script
 * are served beside the API, and the GitHub-compatible surface is GitHub's, documented by GitHub).
 */
export const documented = Object.fromEntries(
  Object.entries(contracts).filter(([name, route]) => route.path.startsWith('/api/v1/') && name !== 'openapi'),
);

// what webhook receivers get (OpenAPI 3.1 `webhooks`): the requests this API sends rather than answers
const document = { ...buildOpenApi(documented, '1.0.0'), webhooks: { event: webhookDeliveryOperation } };

/** GET /api/v1/openapi.json: the OpenAPI 3.1 document of this API, without a token. */
export const handler = http(site.openapi, async () => ok(document));
