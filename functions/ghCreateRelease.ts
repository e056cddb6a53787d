import { createRelease } from '../lib/domain/releases';
import { Convert } from '../lib/github/convert';
import { asGithub, RELEASE_FIELDS, releaseInput } from '../lib/github/input';
import { githubRepo } from '../lib/github/request';
import { created, http } from '../lib/http';
import { db } from '../lib/infra/db';
import { github } from '../schemas/contracts/github';

/** POST /api/v3/repos/{owner}/{repo}/releases: GitHub's create a release: tag_name is the SemVer version. */
export const handler = http(github.ghCreateRelease, async ({ params, body, user, origin }) => {
  const repo = await githubRepo(db(), params, user);
  const release = await createRelease(db(), { repoId: repo.id, createdBy: user.id, ...releaseInput(body) }).catch(
    asGithub(RELEASE_FIELDS, { conflict: 'tag_name' }),
  );
  const view = (await Convert.of(db(), origin, repo, { releases: [release] })).release(release);
  return created(view.url, view);
});
