import { orgForMember } from '../lib/domain/orgs';
import { createWebhook } from '../lib/domain/webhooks';
import { created, http } from '../lib/http';
import { config } from '../lib/infra/config';
import { db } from '../lib/infra/db';
import { webhooks } from '../schemas/contracts/webhooks';

/** POST /api/v1/orgs/{org}/webhooks: a release manager subscribes a URL to the org's events, signed with a secret. */
export const handler = http(webhooks.createWebhook, async ({ params, body, user, path }) => {
  const org = await orgForMember(db(), params.org, user.id);
  const made = await createWebhook(db(), org, user.id, body, { allowPrivate: config().webhookAllowPrivate });
  return created(`${path}/${made.id}`, made);
});
