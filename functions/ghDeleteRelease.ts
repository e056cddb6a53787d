import { idOfGithubId } from '../lib/domain/githubIds';
import { deleteRelease } from '../lib/domain/releaseChanges';
import { http, noContent } from '../lib/http';
import { db } from '../lib/infra/db';
import { github } from '../schemas/contracts/github';

/** DELETE /api/v3/repos/{owner}/{repo}/releases/{release_id}: GitHub's delete a release; one that ran is a 409. */
export const handler = http(github.ghDeleteRelease, async ({ params, user, repo }) => {
  const { id } = await idOfGithubId(db(), 'releases', repo.id, params.release_id);
  await deleteRelease(db(), { repoId: repo.id, ref: id, actorId: user.id });
  return noContent();
});
