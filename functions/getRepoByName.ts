import { repoByName } from '../lib/domain/repos';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { memberRepo, repoByNameParams } from '../schemas/repos';

/** GET /api/v1/orgs/{org}/repos/{name}: a repo by org and name (owner/name), with its id, for a member. */
export const handler = http(
  {
    params: repoByNameParams,
    scope: 'read',
    route: 'GET /api/v1/orgs/{org}/repos/{name}',
    summary: 'Get a repo by its org (id or slug) and name, as CLIs name it (org/name)',
    success: { status: 200, schema: memberRepo },
  },
  async ({ params, user }) => ok(await repoByName(db(), params.org, params.name, user.id)),
);
