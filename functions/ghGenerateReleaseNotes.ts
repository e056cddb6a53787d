import { releaseVisibility } from '../lib/domain/access';
import { generateNotes } from '../lib/github/releaseNotes';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { github } from '../schemas/contracts/github';

/**
 * POST /api/v3/repos/{owner}/{repo}/releases/generate-notes: GitHub's generate release notes content for a release,
 * `{ name, body }` from the repo's git history; writes nothing.
 */
export const handler = http(github.ghGenerateReleaseNotes, async ({ body, user, repo }) => {
  return ok(await generateNotes(db(), repo.id, body, releaseVisibility(user)));
});
