import { listRepoEnvironments } from '../lib/domain/environments';
import { http, ok, pageHeaders } from '../lib/http';
import { db } from '../lib/infra/db';
import { environments } from '../schemas/contracts/environments';

/** GET /api/v1/repos/{repo}/environments: what runs where, every environment of the org with the repo's current deployment. */
export const handler = http(environments.repoEnvironments, async ({ query, path, repo }) => {
  const page = await listRepoEnvironments(db(), repo, query);
  return ok(page, pageHeaders(path, query, page.nextCursor));
});
