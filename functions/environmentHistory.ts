import { listEnvironmentHistory } from '../lib/domain/deployments';
import { repoForMember } from '../lib/domain/repos';
import { http, ok, pageHeaders } from '../lib/http';
import { db } from '../lib/infra/db';
import { pageOf } from '../schemas/common';
import { deployment, environmentHistoryQuery } from '../schemas/deployments';
import { repoEnvironmentParams } from '../schemas/environments';

/** GET /api/v1/repos/{repo}/environments/{environment}/deployments: what was deployed there, newest first. */
export const handler = http(
  {
    params: repoEnvironmentParams,
    query: environmentHistoryQuery,
    scope: 'read',
    route: 'GET /api/v1/repos/{repo}/environments/{environment}/deployments',
    summary: "An environment's deployments of the repo, newest first, filtered by status and kind",
    success: { status: 200, schema: pageOf(deployment) },
  },
  async ({ params, query, user, path }) => {
    const repo = await repoForMember(db(), params.repo, user);
    const page = await listEnvironmentHistory(db(), repo, params.environment, query);
    return ok(page, pageHeaders(path, query, page.nextCursor));
  },
);
