import { getArtifact } from '../lib/domain/artifacts';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { artifacts } from '../schemas/contracts/artifacts';

/** GET /api/v1/repos/{repo}/artifacts/{id} */
export const handler = http(artifacts.getArtifact, async ({ params, repo }) => {
  return ok(await getArtifact(db(), repo.id, params.id));
});
