import { githubRelease, repoByName } from '../lib/domain/github';
import { http, ok } from '../lib/http';
import { GithubViews } from '../lib/http/githubViews';
import { db } from '../lib/infra/db';
import { github } from '../schemas/contracts/github';

/** GET /api/v3/repos/{owner}/{repo}/releases/{release_id}: GitHub's get a release, by its integer id. */
export const handler = http(github.ghGetRelease, async ({ params, user, origin }) => {
  const repo = await repoByName(db(), params.owner, params.repo, user);
  const release = await githubRelease(db(), repo.id, { githubId: params.release_id });
  return ok(new GithubViews(origin, repo.owner, repo.name).release(release));
});
