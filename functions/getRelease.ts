import { getRelease } from '../lib/domain/releases';
import { repoForMember } from '../lib/domain/repos';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { release, releaseRefParams } from '../schemas/releases';

/** GET /api/v1/repos/{repo}/releases/{idOrVersion}: notes, artifacts and the newest deployments. */
export const handler = http(
  {
    params: releaseRefParams,
    scope: 'read',
    route: 'GET /api/v1/repos/{repo}/releases/{id}',
    summary: 'Get a release by id or version, with its artifacts and newest deployments',
    success: { status: 200, schema: release },
  },
  async ({ params, user }) => {
    const repo = await repoForMember(db(), params.repo, user);
    return ok(await getRelease(db(), repo.id, params.id));
  },
);
