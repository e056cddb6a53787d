import { getStatusEntry } from '../lib/domain/deploymentHistory';
import { idOfGithubId } from '../lib/domain/githubIds';
import { Convert } from '../lib/github/convert';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { githubAccounts } from '../schemas/contracts/githubAccounts';

/** GET …/deployments/{deployment_id}/statuses/{status_id}: GitHub's get a deployment status. */
export const handler = http(githubAccounts.ghGetDeploymentStatus, async ({ params, origin, repo }) => {
  const { id } = await idOfGithubId(db(), 'deployments', repo.id, params.deployment_id);
  const status = await getStatusEntry(db(), id, params.status_id);
  return ok((await Convert.of(db(), origin, repo, { statuses: [status] })).status(status));
});
