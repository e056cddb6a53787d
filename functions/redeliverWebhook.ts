import { orgForMember } from '../lib/domain/orgs';
import { redeliver } from '../lib/domain/webhooks';
import { accepted, http } from '../lib/http';
import { db } from '../lib/infra/db';
import { delivery, deliveryParams, redeliverBody } from '../schemas/webhooks';

/** POST /api/v1/orgs/{org}/webhooks/{id}/deliveries/{deliveryId}/redeliver: one more attempt, same delivery id. */
export const handler = http(
  {
    params: deliveryParams,
    body: redeliverBody,
    scope: 'admin',
    route: 'POST /api/v1/orgs/{org}/webhooks/{id}/deliveries/{deliveryId}/redeliver',
    summary:
      'Send a delivery again (release managers only; body {}): queued at once, same X-GitWeave-Delivery; 409 while an attempt is in flight',
    success: { status: 202, schema: delivery },
    problems: [403, 409],
  },
  async ({ params, user }) => {
    const org = await orgForMember(db(), params.org, user.id);
    return accepted(await redeliver(db(), org, params.id, params.deliveryId));
  },
);
