import { reviewDeployment } from '../lib/domain/reviews';
import { created, http } from '../lib/http';
import { db } from '../lib/infra/db';
import { deploymentDetail, deploymentParams, reviewBody } from '../schemas/deployments';

/** POST /api/v1/deployments/{id}/reviews: a release manager other than the requester approves or rejects, once. */
export const handler = http(
  {
    params: deploymentParams,
    body: reviewBody,
    scope: 'deploy',
    route: 'POST /api/v1/deployments/{id}/reviews',
    summary:
      'Approve or reject a waiting deployment (a release manager of its org, not its requester, once); answers the deployment with its reviews',
    success: { status: 201, schema: deploymentDetail },
    problems: [403, 409],
  },
  async ({ params, body, user }) => {
    const reviewed = await reviewDeployment(db(), { id: params.id, userId: user.id, ...body });
    return created(`/api/v1/deployments/${reviewed.id}`, reviewed);
  },
);
