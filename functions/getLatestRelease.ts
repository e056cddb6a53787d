import { getLatestRelease } from '../lib/domain/releases';
import { repoForMember } from '../lib/domain/repos';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { repoParams } from '../schemas/common';
import { latestReleaseQuery, release } from '../schemas/releases';

/** GET /api/v1/repos/{repo}/releases/latest: the highest SemVer precedence, pre-releases only if asked. */
export const handler = http(
  {
    params: repoParams,
    query: latestReleaseQuery,
    scope: 'read',
    route: 'GET /api/v1/repos/{repo}/releases/latest',
    summary: 'Get the release with the highest SemVer precedence',
    success: { status: 200, schema: release },
  },
  async ({ params, query, user }) => {
    const repo = await repoForMember(db(), params.repo, user);
    return ok(await getLatestRelease(db(), repo.id, { prerelease: query.prerelease }));
  },
);
