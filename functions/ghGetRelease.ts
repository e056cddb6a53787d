import { releaseVisibility } from '../lib/domain/access';
import { idOfGithubId } from '../lib/domain/githubIds';
import { getRelease } from '../lib/domain/releases';
import { Convert } from '../lib/github/convert';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { github } from '../schemas/contracts/github';

/** GET /api/v3/repos/{owner}/{repo}/releases/{release_id}: GitHub's get a release, by its integer id. */
export const handler = http(github.ghGetRelease, async ({ params, user, origin, repo }) => {
  const { id } = await idOfGithubId(db(), 'releases', repo.id, params.release_id);
  const release = await getRelease(db(), repo.id, id, releaseVisibility(user));
  return ok((await Convert.of(db(), origin, repo, { releases: [release] })).release(release));
});
