import { latestGithubRelease, repoByName } from '../lib/domain/github';
import { http, ok } from '../lib/http';
import { GithubViews } from '../lib/http/githubViews';
import { db } from '../lib/infra/db';
import { github } from '../schemas/contracts/github';

/** GET /api/v3/repos/{owner}/{repo}/releases/latest: GitHub's latest release: the highest SemVer version that is not a pre-release. */
export const handler = http(github.ghGetLatestRelease, async ({ params, user, origin }) => {
  const repo = await repoByName(db(), params.owner, params.repo, user);
  return ok(new GithubViews(origin, repo.owner, repo.name).release(await latestGithubRelease(db(), repo.id)));
});
