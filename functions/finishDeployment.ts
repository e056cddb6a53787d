import { finishDeployment } from '../lib/domain/deployments';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { deployment, deploymentParams, finishDeploymentBody } from '../schemas/deployments';

/** PATCH /api/v1/deployments/{id}: finish an in_progress deployment as success or failed, once. */
export const handler = http(
  {
    params: deploymentParams,
    body: finishDeploymentBody,
    scope: 'deploy',
    route: 'PATCH /api/v1/deployments/{id}',
    summary: 'Finish an in_progress deployment as success or failed (once; anything else is 409)',
    success: { status: 200, schema: deployment },
    problems: [403],
  },
  async ({ params, body, user }) => ok(await finishDeployment(db(), { id: params.id, userId: user.id, ...body })),
);
