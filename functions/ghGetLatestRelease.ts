import { getLatestRelease } from '../lib/domain/releases';
import { Convert } from '../lib/github/convert';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { github } from '../schemas/contracts/github';

/** GET /api/v3/repos/{owner}/{repo}/releases/latest: GitHub's latest release: the highest SemVer version that is not a pre-release. */
export const handler = http(github.ghGetLatestRelease, async ({ origin, repo }) => {
  const release = await getLatestRelease(db(), repo.id, { prerelease: false });
  return ok((await Convert.of(db(), origin, repo, { releases: [release] })).release(release));
});
