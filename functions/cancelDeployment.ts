import { cancelDeployment } from '../lib/domain/reviews';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { cancelBody, deploymentDetail, deploymentParams } from '../schemas/deployments';

/** POST /api/v1/deployments/{id}/cancel: the requester withdraws a deployment still waiting for approvals. */
export const handler = http(
  {
    params: deploymentParams,
    body: cancelBody,
    scope: 'deploy',
    route: 'POST /api/v1/deployments/{id}/cancel',
    summary: 'Cancel a deployment that is waiting for approvals (its requester only); body {} or { reason }',
    success: { status: 200, schema: deploymentDetail },
    problems: [403, 409],
  },
  async ({ params, body, user }) => ok(await cancelDeployment(db(), { id: params.id, userId: user.id, ...body })),
);
