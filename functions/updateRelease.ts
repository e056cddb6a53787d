import { updateRelease } from '../lib/domain/releaseChanges';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { releases } from '../schemas/contracts/releases';

/** PATCH /api/v1/repos/{repo}/releases/{idOrVersion}: title and notes; a draft's version and artifacts; publish. */
export const handler = http(releases.updateRelease, async ({ params, body, user, repo }) => {
  return ok(await updateRelease(db(), { repoId: repo.id, ref: params.id, actorId: user.id, changes: body }));
});
