import { idOfGithubId } from '../lib/domain/githubIds';
import { deleteArtifact } from '../lib/domain/releaseChanges';
import { http, noContent } from '../lib/http';
import { db } from '../lib/infra/db';
import { github } from '../schemas/contracts/github';

/** DELETE /api/v3/repos/{owner}/{repo}/releases/assets/{asset_id}: GitHub's delete a release asset (gh --clobber). */
export const handler = http(github.ghDeleteReleaseAsset, async ({ params, user, repo }) => {
  const { id } = await idOfGithubId(db(), 'artifacts', repo.id, params.asset_id);
  await deleteArtifact(db(), { repoId: repo.id, artifactId: id, actorId: user.id });
  return noContent();
});
