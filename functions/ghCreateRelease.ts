import { createGithubRelease, repoByName } from '../lib/domain/github';
import { created, http } from '../lib/http';
import { GithubViews } from '../lib/http/githubViews';
import { db } from '../lib/infra/db';
import { github } from '../schemas/contracts/github';

/** POST /api/v3/repos/{owner}/{repo}/releases: GitHub's create a release: tag_name is the SemVer version. */
export const handler = http(github.ghCreateRelease, async ({ params, body, user, origin }) => {
  const repo = await repoByName(db(), params.owner, params.repo, user);
  const views = new GithubViews(origin, repo.owner, repo.name);
  const release = views.release(await createGithubRelease(db(), repo, user.id, body));
  return created(release.url, release);
});
