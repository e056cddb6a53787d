import { cancelDeployment } from '../lib/domain/reviews';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { deployments } from '../schemas/contracts/deployments';

/** POST /api/v1/deployments/{id}/cancel: the requester withdraws a deployment still waiting for approvals. */
export const handler = http(deployments.cancelDeployment, async ({ params, body, user }) =>
  ok(await cancelDeployment(db(), { id: params.id, userId: user.id, ...body })),
);
