import { idOfGithubId } from '../lib/domain/githubIds';
import { addReleaseArtifact } from '../lib/domain/releaseAssets';
import { Convert } from '../lib/github/convert';
import { assetContentType } from '../lib/github/input';
import { created, http } from '../lib/http';
import { db } from '../lib/infra/db';
import { github } from '../schemas/contracts/github';

/** POST /api/uploads/repos/{owner}/{repo}/releases/{release_id}/assets: GitHub's upload a release asset: the raw body, of any type, is added to the release as a new asset. */
export const handler = http(github.ghUploadReleaseAsset, async ({ params, query, bytes, header, origin, repo }) => {
  const release = await idOfGithubId(db(), 'releases', repo.id, params.release_id);
  const file = { ...query, contentType: assetContentType(header('content-type')) };
  const added = await addReleaseArtifact(db(), repo, release.id, file, bytes);
  const asset = (await Convert.of(db(), origin, repo, { artifacts: [added] })).asset(added);
  return created(asset.url, asset);
});
