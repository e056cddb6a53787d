import { repoByName } from '../lib/domain/github';
import { githubDeployment } from '../lib/domain/githubDeployments';
import { http, ok } from '../lib/http';
import { GithubViews } from '../lib/http/githubViews';
import { db } from '../lib/infra/db';
import { ghDeploymentParams, githubObject } from '../schemas/github';

/** GET /api/v3/repos/{owner}/{repo}/deployments/{deployment_id}: GitHub's get a deployment. */
export const handler = http(
  {
    params: ghDeploymentParams,
    scope: 'read',
    route: 'GET /api/v3/repos/{owner}/{repo}/deployments/{deployment_id}',
    summary: 'GitHub: get a deployment',
    success: { status: 200, schema: githubObject },
    github: { docs: 'https://docs.github.com/rest/deployments/deployments#get-a-deployment', resource: 'Deployment' },
  },
  async ({ params, user, origin }) => {
    const repo = await repoByName(db(), params.owner, params.repo, user);
    const deployment = await githubDeployment(db(), repo.id, params.deployment_id);
    return ok(new GithubViews(origin, repo.owner, repo.name).deployment(deployment));
  },
);
