import { releaseVisibility } from '../lib/domain/access';
import { getRelease } from '../lib/domain/releases';
import { Convert } from '../lib/github/convert';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { github } from '../schemas/contracts/github';

/** GET /api/v3/repos/{owner}/{repo}/releases/tags/{tag}: GitHub's get a release by tag name (v1.2.0 and 1.2.0 name the same release). */
export const handler = http(github.ghGetReleaseByTag, async ({ params, user, origin, repo }) => {
  const release = await getRelease(db(), repo.id, params.tag, releaseVisibility(user));
  return ok((await Convert.of(db(), origin, repo, { releases: [release] })).release(release));
});
