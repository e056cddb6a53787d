import { githubPage, repoByName } from '../lib/domain/github';
import { listGithubEnvironments } from '../lib/domain/githubDeployments';
import { http, ok } from '../lib/http';
import { GithubViews } from '../lib/http/githubViews';
import { db } from '../lib/infra/db';
import { github } from '../schemas/contracts/github';

/** GET /api/v3/repos/{owner}/{repo}/environments: GitHub's list environments: the org's, in pipeline order. */
export const handler = http(github.ghListEnvironments, async ({ params, query, user, path, origin }) => {
  const repo = await repoByName(db(), params.owner, params.repo, user);
  const page = githubPage(query);
  const list = await listGithubEnvironments(db(), repo, page);
  const views = new GithubViews(origin, repo.owner, repo.name);
  return ok(
    { total_count: list.total, environments: list.items.map((environment) => views.environment(environment)) },
    views.links(path, query, page, list),
  );
});
