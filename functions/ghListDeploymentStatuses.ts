import { githubPage, repoByName } from '../lib/domain/github';
import { listGithubStatuses } from '../lib/domain/githubDeployments';
import { http, ok } from '../lib/http';
import { GithubViews } from '../lib/http/githubViews';
import { db } from '../lib/infra/db';
import { github } from '../schemas/contracts/github';

/** GET /api/v3/repos/{owner}/{repo}/deployments/{deployment_id}/statuses: GitHub's list deployment statuses, newest first: every status the deployment has taken. */
export const handler = http(github.ghListDeploymentStatuses, async ({ params, query, user, path, origin }) => {
  const repo = await repoByName(db(), params.owner, params.repo, user);
  const page = githubPage(query);
  const list = await listGithubStatuses(db(), repo.id, params.deployment_id, page);
  const views = new GithubViews(origin, repo.owner, repo.name);
  return ok(
    list.items.map((status) => views.status(status)),
    views.links(path, query, page, list),
  );
});
