import { listReleases } from '../lib/domain/releases';
import { http, ok, pageHeaders } from '../lib/http';
import { db } from '../lib/infra/db';
import { releases } from '../schemas/contracts/releases';

/** GET /api/v1/repos/{repo}/releases: newest first, keyset-paginated. */
export const handler = http(releases.listReleases, async ({ query, path, repo }) => {
  const page = await listReleases(db(), repo.id, query);
  return ok(page, pageHeaders(path, query, page.nextCursor));
});
