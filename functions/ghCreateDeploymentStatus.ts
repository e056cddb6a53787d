import { repoByName } from '../lib/domain/github';
import { createGithubStatus } from '../lib/domain/githubDeployments';
import { created, http } from '../lib/http';
import { GithubViews } from '../lib/http/githubViews';
import { db } from '../lib/infra/db';
import { ghCreateStatusBody, ghDeploymentParams, githubObject } from '../schemas/github';

/** POST /api/v3/repos/{owner}/{repo}/deployments/{deployment_id}/statuses: GitHub's create a deployment status, mapped onto our lifecycle (lib/domain/githubDeployments). */
export const handler = http(
  {
    params: ghDeploymentParams,
    body: ghCreateStatusBody,
    scope: 'deploy',
    route: 'POST /api/v3/repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
    summary: 'GitHub: create a deployment status',
    success: { status: 201, schema: githubObject },
    github: {
      docs: 'https://docs.github.com/rest/deployments/statuses#create-a-deployment-status',
      resource: 'DeploymentStatus',
    },
  },
  async ({ params, body, user, origin }) => {
    const repo = await repoByName(db(), params.owner, params.repo, user);
    const views = new GithubViews(origin, repo.owner, repo.name);
    const status = views.status(await createGithubStatus(db(), repo, user.id, params.deployment_id, body));
    return created(status.url, status);
  },
);
