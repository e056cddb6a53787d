import { addReleaseAsset, repoByName } from '../lib/domain/github';
import { created, http } from '../lib/http';
import { GithubViews } from '../lib/http/githubViews';
import { db } from '../lib/infra/db';
import { github } from '../schemas/contracts/github';

/** POST /api/uploads/repos/{owner}/{repo}/releases/{release_id}/assets: GitHub's upload a release asset: the raw body, of any type, is added to the release as a new asset. */
export const handler = http(github.ghUploadReleaseAsset, async ({ params, query, bytes, header, user, origin }) => {
  const repo = await repoByName(db(), params.owner, params.repo, user);
  const added = await addReleaseAsset(
    db(),
    repo,
    params.release_id,
    { ...query, contentType: header('content-type') },
    bytes,
  );
  const asset = new GithubViews(origin, repo.owner, repo.name).asset(added);
  return created(asset.url, asset);
});
