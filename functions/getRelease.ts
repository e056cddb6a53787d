import { db } from '../lib/db';
import { http, ok } from '../lib/http';
import { getRelease } from '../lib/releases';
import { repoForMember } from '../lib/repos';
import { releaseRefParams } from '../schemas/releases';

/** GET /api/v1/repos/{repo}/releases/{idOrVersion}: notes, artifacts and the newest deployments. */
export const handler = http({ params: releaseRefParams }, async ({ params, user }) => {
  const repo = await repoForMember(db(), params.repo, user.id);
  return ok(await getRelease(db(), repo.id, params.id));
});
