import { githubRepository } from '../lib/domain/githubAccounts';
import { repositoryView } from '../lib/github/convert';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { githubAccounts } from '../schemas/contracts/githubAccounts';

/** GET /api/v3/repos/{owner}/{repo}: GitHub's get a repository, for a member of its org. */
export const handler = http(githubAccounts.ghGetRepo, async ({ params, user, origin }) =>
  ok(repositoryView(origin, await githubRepository(db(), params.owner, params.repo, user))),
);
