import { getArtifact } from '../lib/domain/artifacts';
import { repoForMember } from '../lib/domain/repos';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { artifact, artifactParams } from '../schemas/artifacts';

/** GET /api/v1/repos/{repo}/artifacts/{id} */
export const handler = http(
  {
    params: artifactParams,
    scope: 'read',
    route: 'GET /api/v1/repos/{repo}/artifacts/{id}',
    summary: 'Get an artifact',
    success: { status: 200, schema: artifact },
  },
  async ({ params, user }) => {
    const repo = await repoForMember(db(), params.repo, user);
    return ok(await getArtifact(db(), repo.id, params.id));
  },
);
