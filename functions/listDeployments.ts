import { releaseVisibility } from '../lib/domain/access';
import { listDeployments } from '../lib/domain/deploymentLists';
import { http, ok, pageHeaders } from '../lib/http';
import { db } from '../lib/infra/db';
import { deployments } from '../schemas/contracts/deployments';

/** GET /api/v1/repos/{repo}/releases/{idOrVersion}/deployments: newest first, keyset-paginated, filtered. */
export const handler = http(deployments.listDeployments, async ({ params, query, path, repo, user }) => {
  const page = await listDeployments(db(), repo.id, params.id, { ...query, ...releaseVisibility(user) });
  return ok(page, pageHeaders(path, query, page.nextCursor));
});
