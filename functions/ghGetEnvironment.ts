import { repoByName } from '../lib/domain/github';
import { githubEnvironment } from '../lib/domain/githubDeployments';
import { http, ok } from '../lib/http';
import { GithubViews } from '../lib/http/githubViews';
import { db } from '../lib/infra/db';
import { github } from '../schemas/contracts/github';

/** GET /api/v3/repos/{owner}/{repo}/environments/{environment_name}: GitHub's get an environment. */
export const handler = http(github.ghGetEnvironment, async ({ params, user, origin }) => {
  const repo = await repoByName(db(), params.owner, params.repo, user);
  const environment = await githubEnvironment(db(), repo, params.environment_name);
  return ok(new GithubViews(origin, repo.owner, repo.name).environment(environment));
});
