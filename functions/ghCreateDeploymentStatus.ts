import { reportStatus } from '../lib/domain/deploymentHistory';
import { idOfGithubId } from '../lib/domain/githubIds';
import { Convert } from '../lib/github/convert';
import { statusInput } from '../lib/github/input';
import { created, http } from '../lib/http';
import { db } from '../lib/infra/db';
import { github } from '../schemas/contracts/github';

/** POST /api/v3/repos/{owner}/{repo}/deployments/{deployment_id}/statuses: GitHub's create a deployment status, mapped onto our lifecycle (lib/domain/deploymentHistory). */
export const handler = http(github.ghCreateDeploymentStatus, async ({ params, body, user, origin, repo }) => {
  const { id } = await idOfGithubId(db(), 'deployments', repo.id, params.deployment_id);
  const status = await reportStatus(db(), repo, user.id, id, statusInput(body));
  const view = (await Convert.of(db(), origin, repo, { statuses: [status] })).status(status);
  return created(view.url, view);
});
