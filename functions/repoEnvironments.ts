import { listRepoEnvironments } from '../lib/domain/environments';
import { repoForMember } from '../lib/domain/repos';
import { http, ok, pageHeaders } from '../lib/http';
import { db } from '../lib/infra/db';
import { pageOf, repoParams } from '../schemas/common';
import { listEnvironmentsQuery, repoEnvironment } from '../schemas/environments';

/** GET /api/v1/repos/{repo}/environments: what runs where, every environment of the org with the repo's current deployment. */
export const handler = http(
  {
    params: repoParams,
    query: listEnvironmentsQuery,
    scope: 'read',
    route: 'GET /api/v1/repos/{repo}/environments',
    summary: "What runs where: the org's environments, each with the repo's newest successful deployment there",
    success: { status: 200, schema: pageOf(repoEnvironment) },
  },
  async ({ params, query, user, path }) => {
    const repo = await repoForMember(db(), params.repo, user);
    const page = await listRepoEnvironments(db(), repo, query);
    return ok(page, pageHeaders(path, query, page.nextCursor));
  },
);
