import { getArtifact } from '../lib/domain/artifacts';
import { repoForMember } from '../lib/domain/repos';
import { http } from '../lib/http';
import { artifactDownload } from '../lib/http/download';
import { db } from '../lib/infra/db';
import { artifactParams } from '../schemas/artifacts';

/** GET /api/v1/repos/{repo}/artifacts/{id}/content: the artifact's bytes, with digests, ranges and revalidation. */
export const handler = http(
  {
    params: artifactParams,
    scope: 'read',
    route: 'GET /api/v1/repos/{repo}/artifacts/{id}/content',
    summary: "Download an artifact's file (Range, If-None-Match and If-Range honoured)",
    success: { status: 200, schema: null },
    download: true,
    problems: [409, 413, 416],
  },
  async ({ params, user, header, streaming }) => {
    const repo = await repoForMember(db(), params.repo, user);
    return artifactDownload(db(), await getArtifact(db(), repo.id, params.id), { header, streaming });
  },
);
