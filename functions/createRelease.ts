import { createRelease } from '../lib/domain/releases';
import { created, http } from '../lib/http';
import { db } from '../lib/infra/db';
import { releases } from '../schemas/contracts/releases';

/** POST /api/v1/repos/{repo}/releases: publish a version with its notes and artifacts, all or nothing. */
export const handler = http(releases.createRelease, async ({ body, user, path, repo }) => {
  const release = await createRelease(db(), { repoId: repo.id, createdBy: user.id, ...body });
  return created(`${path}/${release.id}`, release);
});
