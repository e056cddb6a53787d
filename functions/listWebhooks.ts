import { orgForMember } from '../lib/domain/orgs';
import { listWebhooks } from '../lib/domain/webhooks';
import { http, ok, pageHeaders } from '../lib/http';
import { db } from '../lib/infra/db';
import { pageOf } from '../schemas/common';
import { orgParams } from '../schemas/environments';
import { listWebhooksQuery, webhook } from '../schemas/webhooks';

/** GET /api/v1/orgs/{org}/webhooks: the org's webhooks, newest first, for its release managers; never a secret. */
export const handler = http(
  {
    params: orgParams,
    query: listWebhooksQuery,
    scope: 'read',
    route: 'GET /api/v1/orgs/{org}/webhooks',
    summary: "List an org's webhooks, newest first (release managers only; secrets are never shown)",
    success: { status: 200, schema: pageOf(webhook) },
    problems: [403],
  },
  async ({ params, query, user, path }) => {
    const org = await orgForMember(db(), params.org, user.id);
    const page = await listWebhooks(db(), org, query);
    return ok(page, pageHeaders(path, query, page.nextCursor));
  },
);
