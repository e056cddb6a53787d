import { listEnvironmentHistory } from '../lib/domain/deploymentLists';
import { http, ok, pageHeaders } from '../lib/http';
import { db } from '../lib/infra/db';
import { environments } from '../schemas/contracts/environments';

/** GET /api/v1/repos/{repo}/environments/{environment}/deployments: what was deployed there, newest first. */
export const handler = http(environments.environmentHistory, async ({ params, query, path, repo }) => {
  const page = await listEnvironmentHistory(db(), repo, params.environment, query);
  return ok(page, pageHeaders(path, query, page.nextCursor));
});
