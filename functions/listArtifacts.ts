import { listArtifacts } from '../lib/domain/artifacts';
import { http, ok, pageHeaders } from '../lib/http';
import { db } from '../lib/infra/db';
import { artifacts } from '../schemas/contracts/artifacts';

/** GET /api/v1/repos/{repo}/artifacts: the repo's artifacts, newest first, keyset-paginated. */
export const handler = http(artifacts.listArtifacts, async ({ query, path, repo }) => {
  const page = await listArtifacts(db(), repo.id, query);
  return ok(page, pageHeaders(path, query, page.nextCursor));
});
