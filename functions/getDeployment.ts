import { getDeployment } from '../lib/domain/deployments';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { deployments } from '../schemas/contracts/deployments';

/** GET /api/v1/deployments/{id}: a deployment with its release, environment and reviews, for members of its org. */
export const handler = http(deployments.getDeployment, async ({ params, user }) =>
  ok(await getDeployment(db(), params.id, user.id)),
);
