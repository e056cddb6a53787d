import { repoByName } from '../lib/domain/github';
import { githubDeploymentStatus } from '../lib/domain/githubAccounts';
import { http, ok } from '../lib/http';
import { GithubViews } from '../lib/http/githubViews';
import { db } from '../lib/infra/db';
import { githubAccounts } from '../schemas/contracts/githubAccounts';

/** GET …/deployments/{deployment_id}/statuses/{status_id}: GitHub's get a deployment status. */
export const handler = http(githubAccounts.ghGetDeploymentStatus, async ({ params, user, origin }) => {
  const repo = await repoByName(db(), params.owner, params.repo, user);
  const status = await githubDeploymentStatus(db(), repo.id, params.deployment_id, params.status_id);
  return ok(new GithubViews(origin, repo.owner, repo.name).status(status));
});
