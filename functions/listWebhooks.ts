import { orgForMember } from '../lib/domain/orgs';
import { listWebhooks } from '../lib/domain/webhooks';
import { http, ok, pageHeaders } from '../lib/http';
import { db } from '../lib/infra/db';
import { webhooks } from '../schemas/contracts/webhooks';

/** GET /api/v1/orgs/{org}/webhooks: the org's webhooks, newest first, for its release managers; never a secret. */
export const handler = http(webhooks.listWebhooks, async ({ params, query, user, path }) => {
  const org = await orgForMember(db(), params.org, user.id);
  const page = await listWebhooks(db(), org, query);
  return ok(page, pageHeaders(path, query, page.nextCursor));
});
