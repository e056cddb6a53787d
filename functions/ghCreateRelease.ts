import { createRelease } from '../lib/domain/releases';
import { Convert } from '../lib/github/convert';
import { asGithub, RELEASE_FIELDS, releaseInput } from '../lib/github/input';
import { releaseWithNotes } from '../lib/github/releaseNotes';
import { created, http } from '../lib/http';
import { db } from '../lib/infra/db';
import { github } from '../schemas/contracts/github';

/** POST /api/v3/repos/{owner}/{repo}/releases: GitHub's create a release: tag_name is the SemVer version;
 * generate_release_notes fills the notes from the repo's history, after the body if one is given, as GitHub does. */
export const handler = http(github.ghCreateRelease, async ({ body, user, origin, repo }) => {
  const input = body.generate_release_notes ? await releaseWithNotes(db(), repo.id, body) : releaseInput(body);
  const release = await createRelease(db(), { repoId: repo.id, createdBy: user.id, ...input }).catch(
    asGithub(RELEASE_FIELDS, { conflict: 'tag_name' }),
  );
  const view = (await Convert.of(db(), origin, repo, { releases: [release] })).release(release);
  return created(view.url, view);
});
