import { releaseVisibility } from '../lib/domain/access';
import { feed, feedPageJson } from '../lib/domain/feed';
import { stillMember } from '../lib/domain/identity';
import { orgIdForMember } from '../lib/domain/orgs';
import { http, okJson } from '../lib/http';
import { db } from '../lib/infra/db';
import { NotFound } from '../lib/infra/errors';
import { events } from '../schemas/contracts/events';

/** GET /api/v1/orgs/{org}/events: every event of the org (its repos' and its environments'), for a member. */
export const handler = http(events.orgEvents, async ({ params, query, user, remainingMs }) => {
  const orgId = await orgIdForMember(db(), params.org, user);
  // a long poll that lost its token or its membership while it waited answers nothing from the org
  const recheck = async () => {
    if (!(await stillMember(db(), user, orgId))) throw new NotFound(`Org ${params.org} was not found`);
  };
  const scope = { kind: 'org', id: orgId } as const;
  const asked = { ...query, ...releaseVisibility(user) };
  return okJson(feedPageJson(await feed(db(), scope, asked, remainingMs(), recheck)));
});
