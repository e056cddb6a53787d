import { releaseVisibility } from '../lib/domain/access';
import { getRelease } from '../lib/domain/releases';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { releases } from '../schemas/contracts/releases';

/** GET /api/v1/repos/{repo}/releases/{idOrVersion}: notes, artifacts and the newest deployments. */
export const handler = http(releases.getRelease, async ({ params, repo, user }) => {
  return ok(await getRelease(db(), repo.id, params.id, releaseVisibility(user)));
});
