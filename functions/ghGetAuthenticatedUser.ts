import { githubAccountOf } from '../lib/domain/githubAccounts';
import { accountView } from '../lib/github/convert';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { githubAccounts } from '../schemas/contracts/githubAccounts';

/** GET /api/v3/user: GitHub's get the authenticated user: the owner of the token. */
export const handler = http(githubAccounts.ghGetAuthenticatedUser, async ({ user, origin }) =>
  ok(accountView(origin, await githubAccountOf(db(), user))),
);
