import { githubAsset, repoByName } from '../lib/domain/github';
import { http, ok } from '../lib/http';
import { GithubViews } from '../lib/http/githubViews';
import { db } from '../lib/infra/db';
import { ghAssetParams, githubObject } from '../schemas/github';

/** GET /api/v3/repos/{owner}/{repo}/releases/assets/{asset_id}: GitHub's get a release asset. */
export const handler = http(
  {
    params: ghAssetParams,
    scope: 'read',
    route: 'GET /api/v3/repos/{owner}/{repo}/releases/assets/{asset_id}',
    summary: 'GitHub: get a release asset',
    success: { status: 200, schema: githubObject },
    github: { docs: 'https://docs.github.com/rest/releases/assets#get-a-release-asset', resource: 'ReleaseAsset' },
  },
  async ({ params, user, origin }) => {
    const repo = await repoByName(db(), params.owner, params.repo, user);
    const asset = await githubAsset(db(), repo.id, { githubId: params.asset_id });
    return ok(new GithubViews(origin, repo.owner, repo.name).asset(asset));
  },
);
