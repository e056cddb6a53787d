import { repoByName } from '../lib/domain/github';
import { createGithubStatus } from '../lib/domain/githubDeployments';
import { created, http } from '../lib/http';
import { GithubViews } from '../lib/http/githubViews';
import { db } from '../lib/infra/db';
import { github } from '../schemas/contracts/github';

/** POST /api/v3/repos/{owner}/{repo}/deployments/{deployment_id}/statuses: GitHub's create a deployment status, mapped onto our lifecycle (lib/domain/githubDeployments). */
export const handler = http(github.ghCreateDeploymentStatus, async ({ params, body, user, origin }) => {
  const repo = await repoByName(db(), params.owner, params.repo, user);
  const views = new GithubViews(origin, repo.owner, repo.name);
  const status = views.status(await createGithubStatus(db(), repo, user.id, params.deployment_id, body));
  return created(status.url, status);
});
