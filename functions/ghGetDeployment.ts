import { repoByName } from '../lib/domain/github';
import { githubDeployment } from '../lib/domain/githubDeployments';
import { http, ok } from '../lib/http';
import { GithubViews } from '../lib/http/githubViews';
import { db } from '../lib/infra/db';
import { github } from '../schemas/contracts/github';

/** GET /api/v3/repos/{owner}/{repo}/deployments/{deployment_id}: GitHub's get a deployment. */
export const handler = http(github.ghGetDeployment, async ({ params, user, origin }) => {
  const repo = await repoByName(db(), params.owner, params.repo, user);
  const deployment = await githubDeployment(db(), repo.id, params.deployment_id);
  return ok(new GithubViews(origin, repo.owner, repo.name).deployment(deployment));
});
