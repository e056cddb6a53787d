import { orgForMember } from '../lib/domain/orgs';
import { deleteWebhook } from '../lib/domain/webhooks';
import { http, noContent } from '../lib/http';
import { db } from '../lib/infra/db';
import { webhookParams } from '../schemas/webhooks';

/** DELETE /api/v1/orgs/{org}/webhooks/{id}: nothing more is sent to it; its deliveries go with it. */
export const handler = http(
  {
    params: webhookParams,
    scope: 'admin',
    route: 'DELETE /api/v1/orgs/{org}/webhooks/{id}',
    summary: 'Delete a webhook of an org with its deliveries (release managers only)',
    success: { status: 204, schema: null },
    problems: [403],
  },
  async ({ params, user }) => {
    const org = await orgForMember(db(), params.org, user.id);
    await deleteWebhook(db(), org, params.id);
    return noContent();
  },
);
