import { listMemberRepos } from '../lib/domain/repos';
import { http, ok, pageHeaders } from '../lib/http';
import { db } from '../lib/infra/db';
import { repos } from '../schemas/contracts/repos';

/** GET /api/v1/repos: the repos of every org the caller is a member of, with its role there. */
export const handler = http(repos.listRepos, async ({ query, user, path }) => {
  const page = await listMemberRepos(db(), user.id, query);
  return ok(page, pageHeaders(path, query, page.nextCursor));
});
