import { listMemberRepos } from '../lib/domain/repos';
import { http, ok, pageHeaders } from '../lib/http';
import { db } from '../lib/infra/db';
import { pageOf } from '../schemas/common';
import { listReposQuery, memberRepo } from '../schemas/repos';

/** GET /api/v1/repos: the repos of every org the caller is a member of, with its role there. */
export const handler = http(
  {
    query: listReposQuery,
    scope: 'read',
    route: 'GET /api/v1/repos',
    summary: "List the repos of the caller's orgs, by org and name, with the caller's role in each org",
    success: { status: 200, schema: pageOf(memberRepo) },
  },
  async ({ query, user, path }) => {
    const page = await listMemberRepos(db(), user.id, query);
    return ok(page, pageHeaders(path, query, page.nextCursor));
  },
);
