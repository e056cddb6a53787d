import { createRelease } from '../lib/domain/releases';
import { repoForMember } from '../lib/domain/repos';
import { created, http } from '../lib/http';
import { db } from '../lib/infra/db';
import { repoParams } from '../schemas/common';
import { createReleaseBody, release } from '../schemas/releases';

/** POST /api/v1/repos/{repo}/releases: publish a version with its notes and artifacts, all or nothing. */
export const handler = http(
  {
    params: repoParams,
    body: createReleaseBody,
    scope: 'release',
    route: 'POST /api/v1/repos/{repo}/releases',
    summary: 'Publish a release: a SemVer version, Markdown notes and its artifacts, all or nothing',
    success: { status: 201, schema: release },
    problems: [409],
  },
  async ({ params, body, user, path }) => {
    const repo = await repoForMember(db(), params.repo, user);
    const release = await createRelease(db(), { repoId: repo.id, createdBy: user.id, ...body });
    return created(`${path}/${release.id}`, release);
  },
);
