import { db } from '../lib/db';
import { created, http } from '../lib/http';
import { createRelease } from '../lib/releases';
import { repoForMember } from '../lib/repos';
import { repoParams } from '../schemas/common';
import { createReleaseBody } from '../schemas/releases';

/** POST /api/v1/repos/{repo}/releases: publish a version with its notes and artifacts, all or nothing. */
export const handler = http({ params: repoParams, body: createReleaseBody }, async ({ params, body, user, path }) => {
  const repo = await repoForMember(db(), params.repo, user.id);
  const release = await createRelease(db(), { repoId: repo.id, createdBy: user.id, ...body });
  return created(`${path}/${release.id}`, release);
});
