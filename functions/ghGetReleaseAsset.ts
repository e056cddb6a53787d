import { getArtifact } from '../lib/domain/artifacts';
import { githubAsset, repoByName } from '../lib/domain/github';
import { http, ok } from '../lib/http';
import { artifactDownload } from '../lib/http/download';
import { GithubViews } from '../lib/http/githubViews';
import { db } from '../lib/infra/db';
import { github } from '../schemas/contracts/github';

/**
 * GET /api/v3/repos/{owner}/{repo}/releases/assets/{asset_id}: GitHub's get a release asset; with
 * `Accept: application/octet-stream`, its bytes, as the native download serves them (digests, ranges, revalidation).
 */
export const handler = http(github.ghGetReleaseAsset, async ({ params, user, origin, header, streaming }) => {
  const repo = await repoByName(db(), params.owner, params.repo, user);
  const asset = await githubAsset(db(), repo.id, { githubId: params.asset_id });
  if (header('accept')?.toLowerCase().includes('application/octet-stream')) {
    return artifactDownload(db(), await getArtifact(db(), repo.id, asset.id), { header, streaming });
  }
  return ok(new GithubViews(origin, repo.owner, repo.name).asset(asset));
});
