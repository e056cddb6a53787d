import { deleteArtifact } from '../lib/domain/releaseChanges';
import { http, noContent } from '../lib/http';
import { db } from '../lib/infra/db';
import { artifacts } from '../schemas/contracts/artifacts';

/** DELETE /api/v1/repos/{repo}/artifacts/{id}: an artifact no deployed release holds (else 409). */
export const handler = http(artifacts.deleteArtifact, async ({ params, user, repo }) => {
  await deleteArtifact(db(), { repoId: repo.id, artifactId: params.id, actorId: user.id });
  return noContent();
});
