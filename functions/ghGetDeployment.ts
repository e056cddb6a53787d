import { getDeployment } from '../lib/domain/deployments';
import { idOfGithubId } from '../lib/domain/githubIds';
import { Convert } from '../lib/github/convert';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { github } from '../schemas/contracts/github';

/** GET /api/v3/repos/{owner}/{repo}/deployments/{deployment_id}: GitHub's get a deployment. */
export const handler = http(github.ghGetDeployment, async ({ params, user, origin, repo }) => {
  const { id } = await idOfGithubId(db(), 'deployments', repo.id, params.deployment_id);
  const deployment = await getDeployment(db(), id, user.id);
  return ok((await Convert.of(db(), origin, repo, { deployments: [deployment] })).deployment(deployment));
});
