import { releaseVisibility } from '../lib/domain/access';
import { listReleases } from '../lib/domain/releases';
import { http, ok, pageHeaders } from '../lib/http';
import { db } from '../lib/infra/db';
import { releases } from '../schemas/contracts/releases';

/** GET /api/v1/repos/{repo}/releases: newest first, keyset-paginated; drafts for those who may create releases. */
export const handler = http(releases.listReleases, async ({ query, path, repo, user }) => {
  const page = await listReleases(db(), repo.id, { ...query, ...releaseVisibility(user) });
  return ok(page, pageHeaders(path, query, page.nextCursor));
});
