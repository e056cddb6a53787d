import { orgForMember } from '../lib/domain/orgs';
import { listDeliveries } from '../lib/domain/webhooks';
import { http, ok, pageHeaders } from '../lib/http';
import { db } from '../lib/infra/db';
import { pageOf } from '../schemas/common';
import { delivery, listWebhooksQuery, webhookParams } from '../schemas/webhooks';

/** GET /api/v1/orgs/{org}/webhooks/{id}/deliveries: newest first, each with its attempts. */
export const handler = http(
  {
    params: webhookParams,
    query: listWebhooksQuery,
    scope: 'read',
    route: 'GET /api/v1/orgs/{org}/webhooks/{id}/deliveries',
    summary:
      "List a webhook's deliveries, newest first, each with every attempt's status code, duration, error and time",
    success: { status: 200, schema: pageOf(delivery) },
    problems: [403],
  },
  async ({ params, query, user, path }) => {
    const org = await orgForMember(db(), params.org, user.id);
    const page = await listDeliveries(db(), org, params.id, query);
    return ok(page, pageHeaders(path, query, page.nextCursor));
  },
);
