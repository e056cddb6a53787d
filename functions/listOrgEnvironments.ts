import { listEnvironments } from '../lib/domain/environments';
import { orgForMember } from '../lib/domain/orgs';
import { http, ok, pageHeaders } from '../lib/http';
import { db } from '../lib/infra/db';
import { environments } from '../schemas/contracts/environments';

/** GET /api/v1/orgs/{org}/environments: the org's environments by name, for any member. */
export const handler = http(environments.listOrgEnvironments, async ({ params, query, user, path }) => {
  const org = await orgForMember(db(), params.org, user.id);
  const page = await listEnvironments(db(), org.id, query);
  return ok(page, pageHeaders(path, query, page.nextCursor));
});
