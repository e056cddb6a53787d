import { githubPage, listReleaseAssets, repoByName } from '../lib/domain/github';
import { http, ok } from '../lib/http';
import { GithubViews } from '../lib/http/githubViews';
import { db } from '../lib/infra/db';
import { github } from '../schemas/contracts/github';

/** GET /api/v3/repos/{owner}/{repo}/releases/{release_id}/assets: GitHub's list release assets, oldest first. */
export const handler = http(github.ghListReleaseAssets, async ({ params, query, user, path, origin }) => {
  const repo = await repoByName(db(), params.owner, params.repo, user);
  const page = githubPage(query);
  const list = await listReleaseAssets(db(), repo.id, params.release_id, page);
  const views = new GithubViews(origin, repo.owner, repo.name);
  return ok(
    list.items.map((asset) => views.asset(asset)),
    views.links(path, query, page, list),
  );
});
