import { releaseVisibility } from '../lib/domain/access';
import { idOfGithubId } from '../lib/domain/githubIds';
import { getRelease } from '../lib/domain/releases';
import { Convert } from '../lib/github/convert';
import { githubPage, pageLinks } from '../lib/github/request';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { github } from '../schemas/contracts/github';

/** GET /api/v3/repos/{owner}/{repo}/releases/{release_id}/assets: GitHub's list release assets, oldest first. */
export const handler = http(github.ghListReleaseAssets, async ({ params, query, user, path, origin, repo }) => {
  const page = githubPage(query);
  const release = await getRelease(
    db(),
    repo.id,
    (await idOfGithubId(db(), 'releases', repo.id, params.release_id)).id,
    releaseVisibility(user),
  );
  const assets = (await Convert.of(db(), origin, repo, { releases: [release] })).assets(release);
  return ok(
    assets.slice(page.offset, page.offset + page.limit),
    pageLinks(origin, path, query, page, { total: assets.length }),
  );
});
