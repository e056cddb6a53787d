import { listReleases } from '../lib/domain/releases';
import { repoForMember } from '../lib/domain/repos';
import { http, ok, pageHeaders } from '../lib/http';
import { db } from '../lib/infra/db';
import { pageOf, repoParams } from '../schemas/common';
import { listReleasesQuery, releaseSummary } from '../schemas/releases';

/** GET /api/v1/repos/{repo}/releases: newest first, keyset-paginated. */
export const handler = http(
  {
    params: repoParams,
    query: listReleasesQuery,
    scope: 'read',
    route: 'GET /api/v1/repos/{repo}/releases',
    summary: "List a repo's releases, newest first or by SemVer, filtered by pre-release and version range",
    success: { status: 200, schema: pageOf(releaseSummary) },
  },
  async ({ params, query, user, path }) => {
    const repo = await repoForMember(db(), params.repo, user);
    const page = await listReleases(db(), repo.id, query);
    return ok(page, pageHeaders(path, query, page.nextCursor));
  },
);
