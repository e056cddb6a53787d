import { ok, publicHttp } from '../lib/http';
import { buildOpenApi } from '../lib/openapi';
import { handler as createArtifact } from './createArtifact';
import { handler as createRelease } from './createRelease';
import { handler as getArtifact } from './getArtifact';
import { handler as getLatestRelease } from './getLatestRelease';
import { handler as getRelease } from './getRelease';
import { handler as health } from './health';
import { handler as listArtifacts } from './listArtifacts';
import { handler as listReleases } from './listReleases';

/** Every endpoint the document describes, by operation id (= function name in serverless.yml). */
export const endpoints = {
  health,
  createArtifact,
  listArtifacts,
  getArtifact,
  createRelease,
  listReleases,
  getRelease,
  getLatestRelease,
};

const document = { ...buildOpenApi(endpoints, '1.0.0') };

/** GET /api/v1/openapi.json: the OpenAPI 3.1 document of this API, without a token. */
export const handler = publicHttp(
  { route: 'GET /api/v1/openapi.json', summary: 'This API as an OpenAPI 3.1 document', success: { status: 200, schema: { type: 'object' } } },
  async () => ok(document),
);
