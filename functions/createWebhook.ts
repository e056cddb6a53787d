import { orgForMember } from '../lib/domain/orgs';
import { createWebhook } from '../lib/domain/webhooks';
import { created, http } from '../lib/http';
import { config } from '../lib/infra/config';
import { db } from '../lib/infra/db';
import { orgParams } from '../schemas/environments';
import { createWebhookBody, webhook } from '../schemas/webhooks';

/** POST /api/v1/orgs/{org}/webhooks: a release manager subscribes a URL to the org's events, signed with a secret. */
export const handler = http(
  {
    params: orgParams,
    body: createWebhookBody,
    scope: 'admin',
    route: 'POST /api/v1/orgs/{org}/webhooks',
    summary:
      'Create a webhook of an org (release managers only): its events are POSTed to url, signed with secret (never returned)',
    success: { status: 201, schema: webhook },
    problems: [403],
  },
  async ({ params, body, user, path }) => {
    const org = await orgForMember(db(), params.org, user.id);
    const made = await createWebhook(db(), org, user.id, body, { allowPrivate: config().webhookAllowPrivate });
    return created(`${path}/${made.id}`, made);
  },
);
