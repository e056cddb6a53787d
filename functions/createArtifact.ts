import { MAX_UPLOAD_BYTES, registerArtifact, uploadArtifact } from '../lib/domain/artifacts';
import { repoForMember } from '../lib/domain/repos';
import { created, http } from '../lib/http';
import { db } from '../lib/infra/db';
import { artifact, registerArtifactBody, uploadArtifactQuery } from '../schemas/artifacts';
import { repoParams } from '../schemas/common';

/**
 * POST /api/v1/repos/{repo}/artifacts: JSON `{ name, path }` registers a file already on the volume; a raw
 * application/octet-stream body with `?name=` stores the bytes on the volume and registers them.
 */
export const handler = http(
  {
    params: repoParams,
    query: uploadArtifactQuery,
    body: registerArtifactBody,
    raw: { contentType: 'application/octet-stream', maxBytes: MAX_UPLOAD_BYTES },
    scope: 'release',
    route: 'POST /api/v1/repos/{repo}/artifacts',
    summary: 'Register a file on the artifacts volume (JSON), or upload one (application/octet-stream, ?name=)',
    success: { status: 201, schema: artifact },
  },
  async ({ params, query, body, bytes, raw, user, path }) => {
    const repo = await repoForMember(db(), params.repo, user);
    const artifact = raw
      ? await uploadArtifact(db(), repo.id, query, bytes)
      : await registerArtifact(db(), repo.id, body);
    return created(`${path}/${artifact.id}`, artifact);
  },
);
