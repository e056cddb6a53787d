import { createDeployment } from '../lib/domain/deployments';
import { created, http } from '../lib/http';
import { db } from '../lib/infra/db';
import { deployments } from '../schemas/contracts/deployments';

/** POST /api/v1/repos/{repo}/releases/{idOrVersion}/deployments: record a deployment of the release to an environment. */
export const handler = http(deployments.createDeployment, async ({ params, body, user, repo }) => {
  const recorded = await createDeployment(db(), repo, { release: params.id, deployedBy: user.id, ...body });
  return created(`/api/v1/deployments/${recorded.id}`, recorded);
});
