import { draftReleaseNotes } from '../lib/domain/releaseNotes';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { releases } from '../schemas/contracts/releases';

/** POST /api/v1/repos/{repo}/releases/notes: notes and the next version from the history up to a commit; writes nothing. */
export const handler = http(releases.draftReleaseNotes, async ({ body, repo }) => {
  return ok(await draftReleaseNotes(db(), repo.id, body));
});
