import { githubPage, repoByName } from '../lib/domain/github';
import { listGithubDeployments } from '../lib/domain/githubDeployments';
import { http, ok } from '../lib/http';
import { GithubViews } from '../lib/http/githubViews';
import { db } from '../lib/infra/db';
import { github } from '../schemas/contracts/github';

/** GET /api/v3/repos/{owner}/{repo}/deployments: GitHub's list deployments, newest first, filtered by environment, ref (a tag), sha and task. */
export const handler = http(github.ghListDeployments, async ({ params, query, user, path, origin }) => {
  const repo = await repoByName(db(), params.owner, params.repo, user);
  const page = githubPage(query);
  const list = await listGithubDeployments(db(), repo.id, query, page);
  const views = new GithubViews(origin, repo.owner, repo.name);
  return ok(
    list.items.map((deployment) => views.deployment(deployment)),
    views.links(path, query, page, list),
  );
});
