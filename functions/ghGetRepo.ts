import { repositoryView } from '../lib/github/convert';
import { http, ok } from '../lib/http';
import { githubAccounts } from '../schemas/contracts/githubAccounts';

/** GET /api/v3/repos/{owner}/{repo}: GitHub's get a repository, for a member of its org. */
export const handler = http(githubAccounts.ghGetRepo, async ({ repo, origin }) => ok(repositoryView(origin, repo)));
