import { getDeployment } from '../lib/domain/deployments';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { deploymentDetail, deploymentParams } from '../schemas/deployments';

/** GET /api/v1/deployments/{id}: a deployment with its release, environment and reviews, for members of its org. */
export const handler = http(
  {
    params: deploymentParams,
    scope: 'read',
    route: 'GET /api/v1/deployments/{id}',
    summary: 'Get a deployment with its release, environment and reviews',
    success: { status: 200, schema: deploymentDetail },
  },
  async ({ params, user }) => ok(await getDeployment(db(), params.id, user.id)),
);
