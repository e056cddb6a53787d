import { getArtifact } from '../lib/domain/artifacts';
import { http } from '../lib/http';
import { artifactDownload } from '../lib/http/download';
import { db } from '../lib/infra/db';
import { artifacts } from '../schemas/contracts/artifacts';

/** GET /api/v1/repos/{repo}/artifacts/{id}/content: the artifact's bytes, with digests, ranges and revalidation. */
export const handler = http(artifacts.downloadArtifact, async ({ params, header, streaming, repo }) => {
  return artifactDownload(db(), await getArtifact(db(), repo.id, params.id), { header, streaming });
});
