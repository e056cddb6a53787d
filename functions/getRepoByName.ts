import { repoByName } from '../lib/domain/repos';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { repos } from '../schemas/contracts/repos';

/** GET /api/v1/orgs/{org}/repos/{name}: a repo by org and name (owner/name), with its id, for a member. */
export const handler = http(repos.getRepoByName, async ({ params, user }) =>
  ok(await repoByName(db(), params.org, params.name, user.id)),
);
