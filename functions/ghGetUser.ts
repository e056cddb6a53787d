import { githubAccountByLogin } from '../lib/domain/githubAccounts';
import { accountView } from '../lib/github/convert';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { githubAccounts } from '../schemas/contracts/githubAccounts';

/** GET /api/v3/users/{login}: GitHub's get a user, among those who share an org with the caller. */
export const handler = http(githubAccounts.ghGetUser, async ({ params, user, origin }) =>
  ok(accountView(origin, await githubAccountByLogin(db(), params.login, user))),
);
