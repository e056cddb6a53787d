import { getLatestRelease } from '../lib/domain/releases';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { releases } from '../schemas/contracts/releases';

/** GET /api/v1/repos/{repo}/releases/latest: the highest SemVer precedence, pre-releases only if asked. */
export const handler = http(releases.getLatestRelease, async ({ query, repo }) => {
  return ok(await getLatestRelease(db(), repo.id, { prerelease: query.prerelease }));
});
