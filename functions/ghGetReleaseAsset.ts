import { releaseVisibility } from '../lib/domain/access';
import { idOfGithubId } from '../lib/domain/githubIds';
import { getRelease } from '../lib/domain/releases';
import { Convert } from '../lib/github/convert';
import { http, ok } from '../lib/http';
import { artifactDownload } from '../lib/http/download';
import { db } from '../lib/infra/db';
import { NotFound } from '../lib/infra/errors';
import { github } from '../schemas/contracts/github';

/**
 * GET /api/v3/repos/{owner}/{repo}/releases/assets/{asset_id}: GitHub's get a release asset; with
 * `Accept: application/octet-stream`, its bytes, as the native download serves them (digests, ranges, revalidation).
 */
export const handler = http(github.ghGetReleaseAsset, async ({ params, user, origin, header, streaming, repo }) => {
  const { id, releaseId } = await idOfGithubId(db(), 'artifacts', repo.id, params.asset_id);
  const asset = (await getRelease(db(), repo.id, releaseId, releaseVisibility(user))).artifacts.find(
    (artifact) => artifact.id === id,
  );
  if (!asset) throw new NotFound(`Asset ${params.asset_id} was not found in this repo`);
  if (header('accept')?.toLowerCase().includes('application/octet-stream')) {
    return artifactDownload(db(), asset, { header, streaming });
  }
  return ok((await Convert.of(db(), origin, repo, { artifacts: [asset] })).asset(asset));
});
