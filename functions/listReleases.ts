import { db } from '../lib/db';
import { http, ok, pageHeaders } from '../lib/http';
import { listReleases } from '../lib/releases';
import { repoForMember } from '../lib/repos';
import { repoParams } from '../schemas/common';
import { listReleasesQuery } from '../schemas/releases';

/** GET /api/v1/repos/{repo}/releases: newest first, keyset-paginated. */
export const handler = http({ params: repoParams, query: listReleasesQuery }, async ({ params, query, user, path }) => {
  const repo = await repoForMember(db(), params.repo, user.id);
  const page = await listReleases(db(), repo.id, query);
  return ok(page, pageHeaders(path, query, page.nextCursor));
});
