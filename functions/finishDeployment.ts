import { finishDeployment } from '../lib/domain/deployments';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { deployments } from '../schemas/contracts/deployments';

/** PATCH /api/v1/deployments/{id}: finish an in_progress deployment as success or failed, once. */
export const handler = http(deployments.finishDeployment, async ({ params, body, user }) =>
  ok(await finishDeployment(db(), { id: params.id, userId: user.id, ...body })),
);
