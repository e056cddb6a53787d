import { listRepoDeployments } from '../lib/domain/deploymentHistory';
import { Convert } from '../lib/github/convert';
import { githubPage, pageLinks } from '../lib/github/request';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { github } from '../schemas/contracts/github';

/** GET /api/v3/repos/{owner}/{repo}/deployments: GitHub's list deployments, newest first, filtered by environment, ref (a tag), sha and task. */
export const handler = http(github.ghListDeployments, async ({ query, path, origin, repo }) => {
  const page = githubPage(query);
  const filter = { environment: query.environment, version: query.ref, commit: query.sha };
  const list = await listRepoDeployments(
    db(),
    repo.id,
    { ...filter, none: (query.task ?? 'deploy') !== 'deploy' },
    page,
  );
  const convert = await Convert.of(db(), origin, repo, { deployments: list.items });
  return ok(
    list.items.map((deployment) => convert.deployment(deployment)),
    pageLinks(origin, path, query, page, list),
  );
});
