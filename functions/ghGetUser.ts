import { githubAccountByLogin } from '../lib/domain/githubAccounts';
import { http, ok } from '../lib/http';
import { accountView } from '../lib/http/githubAccountViews';
import { GithubViews } from '../lib/http/githubViews';
import { db } from '../lib/infra/db';
import { githubAccounts } from '../schemas/contracts/githubAccounts';

/** GET /api/v3/users/{login}: GitHub's get a user, among those who share an org with the caller. */
export const handler = http(githubAccounts.ghGetUser, async ({ params, user, origin }) => {
  const account = await githubAccountByLogin(db(), params.login, user);
  return ok(accountView(new GithubViews(origin, '', ''), account));
});
