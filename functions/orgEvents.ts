import { feed, feedPageJson } from '../lib/domain/feed';
import { orgIdForMember } from '../lib/domain/orgs';
import { http, okJson } from '../lib/http';
import { db } from '../lib/infra/db';
import { events } from '../schemas/contracts/events';

/** GET /api/v1/orgs/{org}/events: every event of the org (its repos' and its environments'), for a member. */
export const handler = http(events.orgEvents, async ({ params, query, user, remainingMs }) => {
  const orgId = await orgIdForMember(db(), params.org, user);
  return okJson(feedPageJson(await feed(db(), { kind: 'org', id: orgId, orgId }, query, remainingMs())));
});
