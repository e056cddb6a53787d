import { githubRepository } from '../lib/domain/githubAccounts';
import { http, ok } from '../lib/http';
import { repositoryView } from '../lib/http/githubAccountViews';
import { GithubViews } from '../lib/http/githubViews';
import { db } from '../lib/infra/db';
import { githubAccounts } from '../schemas/contracts/githubAccounts';

/** GET /api/v3/repos/{owner}/{repo}: GitHub's get a repository, for a member of its org. */
export const handler = http(githubAccounts.ghGetRepo, async ({ params, user, origin }) => {
  const repo = await githubRepository(db(), params.owner, params.repo, user);
  return ok(repositoryView(new GithubViews(origin, repo.owner, repo.name), repo));
});
