import { listEnvironments } from '../lib/domain/environments';
import { orgForMember } from '../lib/domain/orgs';
import { http, ok, pageHeaders } from '../lib/http';
import { db } from '../lib/infra/db';
import { pageOf } from '../schemas/common';
import { environment, listEnvironmentsQuery, orgParams } from '../schemas/environments';

/** GET /api/v1/orgs/{org}/environments: the org's environments by name, for any member. */
export const handler = http(
  {
    params: orgParams,
    query: listEnvironmentsQuery,
    scope: 'read',
    route: 'GET /api/v1/orgs/{org}/environments',
    summary: "List an org's environments by name ({org} is its id or slug)",
    success: { status: 200, schema: pageOf(environment) },
  },
  async ({ params, query, user, path }) => {
    const org = await orgForMember(db(), params.org, user.id);
    const page = await listEnvironments(db(), org.id, query);
    return ok(page, pageHeaders(path, query, page.nextCursor));
  },
);
