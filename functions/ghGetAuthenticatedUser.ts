import { githubAccountOf } from '../lib/domain/githubAccounts';
import { http, ok } from '../lib/http';
import { accountView } from '../lib/http/githubAccountViews';
import { GithubViews } from '../lib/http/githubViews';
import { db } from '../lib/infra/db';
import { githubAccounts } from '../schemas/contracts/githubAccounts';

/** GET /api/v3/user: GitHub's get the authenticated user: the owner of the token. */
export const handler = http(githubAccounts.ghGetAuthenticatedUser, async ({ user, origin }) => {
  const account = await githubAccountOf(db(), user);
  return ok(accountView(new GithubViews(origin, '', ''), account));
});
