import { reviewDeployment } from '../lib/domain/reviews';
import { created, http } from '../lib/http';
import { db } from '../lib/infra/db';
import { deployments } from '../schemas/contracts/deployments';

/** POST /api/v1/deployments/{id}/reviews: a release manager other than the requester approves or rejects, once. */
export const handler = http(deployments.reviewDeployment, async ({ params, body, user }) => {
  const reviewed = await reviewDeployment(db(), { id: params.id, userId: user.id, ...body });
  return created(`/api/v1/deployments/${reviewed.id}`, reviewed);
});
