import { deleteRelease } from '../lib/domain/releaseChanges';
import { http, noContent } from '../lib/http';
import { db } from '../lib/infra/db';
import { releases } from '../schemas/contracts/releases';

/** DELETE /api/v1/repos/{repo}/releases/{idOrVersion}: a release that never ran anywhere (else 409). */
export const handler = http(releases.deleteRelease, async ({ params, user, repo }) => {
  await deleteRelease(db(), { repoId: repo.id, ref: params.id, actorId: user.id });
  return noContent();
});
