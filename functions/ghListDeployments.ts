import { githubPage, repoByName } from '../lib/domain/github';
import { listGithubDeployments } from '../lib/domain/githubDeployments';
import { http, ok } from '../lib/http';
import { GithubViews } from '../lib/http/githubViews';
import { db } from '../lib/infra/db';
import { ghListDeploymentsQuery, ghRepoParams, githubObject } from '../schemas/github';

/** GET /api/v3/repos/{owner}/{repo}/deployments: GitHub's list deployments, newest first, filtered by environment, ref (a tag), sha and task. */
export const handler = http(
  {
    params: ghRepoParams,
    query: ghListDeploymentsQuery,
    scope: 'read',
    route: 'GET /api/v3/repos/{owner}/{repo}/deployments',
    summary: 'GitHub: list deployments',
    success: { status: 200, schema: githubObject },
    github: { docs: 'https://docs.github.com/rest/deployments/deployments#list-deployments', resource: 'Deployment' },
  },
  async ({ params, query, user, path, origin }) => {
    const repo = await repoByName(db(), params.owner, params.repo, user);
    const page = githubPage(query);
    const list = await listGithubDeployments(db(), repo.id, query, page);
    const views = new GithubViews(origin, repo.owner, repo.name);
    return ok(
      list.items.map((deployment) => views.deployment(deployment)),
      views.links(path, query, page, list),
    );
  },
);
