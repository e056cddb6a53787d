import { listArtifacts } from '../lib/domain/artifacts';
import { repoForMember } from '../lib/domain/repos';
import { http, ok, pageHeaders } from '../lib/http';
import { db } from '../lib/infra/db';
import { artifact, listArtifactsQuery } from '../schemas/artifacts';
import { pageOf, repoParams } from '../schemas/common';

/** GET /api/v1/repos/{repo}/artifacts: the repo's artifacts, newest first, keyset-paginated. */
export const handler = http(
  {
    params: repoParams,
    query: listArtifactsQuery,
    scope: 'read',
    route: 'GET /api/v1/repos/{repo}/artifacts',
    summary: "List a repo's artifacts, newest first",
    success: { status: 200, schema: pageOf(artifact) },
  },
  async ({ params, query, user, path }) => {
    const repo = await repoForMember(db(), params.repo, user);
    const page = await listArtifacts(db(), repo.id, query);
    return ok(page, pageHeaders(path, query, page.nextCursor));
  },
);
