import { githubRelease, repoByName } from '../lib/domain/github';
import { http, ok } from '../lib/http';
import { GithubViews } from '../lib/http/githubViews';
import { db } from '../lib/infra/db';
import { github } from '../schemas/contracts/github';

/** GET /api/v3/repos/{owner}/{repo}/releases/tags/{tag}: GitHub's get a release by tag name (v1.2.0 and 1.2.0 name the same release). */
export const handler = http(github.ghGetReleaseByTag, async ({ params, user, origin }) => {
  const repo = await repoByName(db(), params.owner, params.repo, user);
  const release = await githubRelease(db(), repo.id, { tag: params.tag });
  return ok(new GithubViews(origin, repo.owner, repo.name).release(release));
});
