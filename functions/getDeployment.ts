import { getDeployment } from '../lib/domain/deployments';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { deployment, deploymentParams } from '../schemas/deployments';

/** GET /api/v1/deployments/{id}: a deployment with its release and environment, for members of its org. */
export const handler = http(
  {
    params: deploymentParams,
    scope: 'read',
    route: 'GET /api/v1/deployments/{id}',
    summary: 'Get a deployment with its release and environment',
    success: { status: 200, schema: deployment },
  },
  async ({ params, user }) => ok(await getDeployment(db(), params.id, user.id)),
);
