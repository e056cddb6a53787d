import { orgForMember } from '../lib/domain/orgs';
import { listDeliveries } from '../lib/domain/webhooks';
import { http, ok, pageHeaders } from '../lib/http';
import { db } from '../lib/infra/db';
import { webhooks } from '../schemas/contracts/webhooks';

/** GET /api/v1/orgs/{org}/webhooks/{id}/deliveries: newest first, each with its attempts. */
export const handler = http(webhooks.listWebhookDeliveries, async ({ params, query, user, path }) => {
  const org = await orgForMember(db(), params.org, user.id);
  const page = await listDeliveries(db(), org, params.id, query);
  return ok(page, pageHeaders(path, query, page.nextCursor));
});
