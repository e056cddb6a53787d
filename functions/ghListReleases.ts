import { githubPage, listGithubReleases, repoByName } from '../lib/domain/github';
import { http, ok } from '../lib/http';
import { GithubViews } from '../lib/http/githubViews';
import { db } from '../lib/infra/db';
import { github } from '../schemas/contracts/github';

/** GET /api/v3/repos/{owner}/{repo}/releases: GitHub's list releases, newest first, by page with a Link header. */
export const handler = http(github.ghListReleases, async ({ params, query, user, path, origin }) => {
  const repo = await repoByName(db(), params.owner, params.repo, user);
  const page = githubPage(query);
  const list = await listGithubReleases(db(), repo.id, page);
  const views = new GithubViews(origin, repo.owner, repo.name);
  return ok(
    list.items.map((release) => views.release(release)),
    views.links(path, query, page, list),
  );
});
