import { listDeployments } from '../lib/domain/deployments';
import { repoForMember } from '../lib/domain/repos';
import { http, ok, pageHeaders } from '../lib/http';
import { db } from '../lib/infra/db';
import { pageOf } from '../schemas/common';
import { deployment, listDeploymentsQuery } from '../schemas/deployments';
import { releaseRefParams } from '../schemas/releases';

/** GET /api/v1/repos/{repo}/releases/{idOrVersion}/deployments: newest first, keyset-paginated, filtered. */
export const handler = http(
  {
    params: releaseRefParams,
    query: listDeploymentsQuery,
    scope: 'read',
    route: 'GET /api/v1/repos/{repo}/releases/{id}/deployments',
    summary: "List a release's deployments, newest first, filtered by environment (id or name) and status",
    success: { status: 200, schema: pageOf(deployment) },
  },
  async ({ params, query, user, path }) => {
    const repo = await repoForMember(db(), params.repo, user);
    const page = await listDeployments(db(), repo.id, params.id, query);
    return ok(page, pageHeaders(path, query, page.nextCursor));
  },
);
