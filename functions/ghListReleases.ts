import { releaseVisibility } from '../lib/domain/access';
import { listReleaseDetails } from '../lib/domain/releaseDetails';
import { Convert } from '../lib/github/convert';
import { githubPage, pageLinks } from '../lib/github/request';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { github } from '../schemas/contracts/github';

/** GET /api/v3/repos/{owner}/{repo}/releases: GitHub's list releases, newest first, by page with a Link header. */
export const handler = http(github.ghListReleases, async ({ query, user, path, origin, repo }) => {
  const page = githubPage(query);
  const list = await listReleaseDetails(db(), repo.id, { ...page, ...releaseVisibility(user) });
  const convert = await Convert.of(db(), origin, repo, { releases: list.items });
  return ok(
    list.items.map((release) => convert.release(release)),
    pageLinks(origin, path, query, page, list),
  );
});
