import { registerArtifact, uploadArtifact } from '../lib/domain/artifacts';
import { created, http } from '../lib/http';
import { db } from '../lib/infra/db';
import { artifacts } from '../schemas/contracts/artifacts';

/**
 * POST /api/v1/repos/{repo}/artifacts: JSON `{ name, path }` registers a file already on the volume; a raw
 * application/octet-stream body with `?name=` stores the bytes on the volume and registers them.
 */
export const handler = http(artifacts.createArtifact, async ({ query, body, bytes, raw, path, repo }) => {
  const artifact = raw
    ? await uploadArtifact(db(), repo.id, query, bytes)
    : await registerArtifact(db(), repo.id, body);
  return created(`${path}/${artifact.id}`, artifact);
});
