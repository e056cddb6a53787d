import { orgForMember } from '../lib/domain/orgs';
import { redeliver } from '../lib/domain/webhooks';
import { accepted, http } from '../lib/http';
import { db } from '../lib/infra/db';
import { webhooks } from '../schemas/contracts/webhooks';

/** POST /api/v1/orgs/{org}/webhooks/{id}/deliveries/{deliveryId}/redeliver: one more attempt, same delivery id. */
export const handler = http(webhooks.redeliverWebhook, async ({ params, user }) => {
  const org = await orgForMember(db(), params.org, user.id);
  return accepted(await redeliver(db(), org, params.id, params.deliveryId));
});
