import { orgForMember } from '../lib/domain/orgs';
import { deleteWebhook } from '../lib/domain/webhooks';
import { http, noContent } from '../lib/http';
import { db } from '../lib/infra/db';
import { webhooks } from '../schemas/contracts/webhooks';

/** DELETE /api/v1/orgs/{org}/webhooks/{id}: nothing more is sent to it; its deliveries go with it. */
export const handler = http(webhooks.deleteWebhook, async ({ params, user }) => {
  const org = await orgForMember(db(), params.org, user.id);
  await deleteWebhook(db(), org, params.id);
  return noContent();
});
