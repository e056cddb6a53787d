import { idOfGithubId } from '../lib/domain/githubIds';
import { updateRelease } from '../lib/domain/releaseChanges';
import { getRelease } from '../lib/domain/releases';
import { Convert } from '../lib/github/convert';
import { asGithub, RELEASE_FIELDS, releaseChangesInput } from '../lib/github/input';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { github } from '../schemas/contracts/github';

/** PATCH /api/v3/repos/{owner}/{repo}/releases/{release_id}: GitHub's update a release; draft: false publishes it. */
export const handler = http(github.ghUpdateRelease, async ({ params, body, user, origin, repo }) => {
  const { id } = await idOfGithubId(db(), 'releases', repo.id, params.release_id);
  const changes = releaseChangesInput(body, (await getRelease(db(), repo.id, id)).version);
  const release = await updateRelease(db(), { repoId: repo.id, ref: id, actorId: user.id, changes }).catch(
    asGithub(RELEASE_FIELDS, { conflict: 'tag_name' }),
  );
  return ok((await Convert.of(db(), origin, repo, { releases: [release] })).release(release));
});
