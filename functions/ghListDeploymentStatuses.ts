import { listStatusEntries } from '../lib/domain/deploymentHistory';
import { idOfGithubId } from '../lib/domain/githubIds';
import { Convert } from '../lib/github/convert';
import { githubPage, pageLinks } from '../lib/github/request';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { github } from '../schemas/contracts/github';

/** GET /api/v3/repos/{owner}/{repo}/deployments/{deployment_id}/statuses: GitHub's list deployment statuses, newest first: every status the deployment has taken. */
export const handler = http(github.ghListDeploymentStatuses, async ({ params, query, path, origin, repo }) => {
  const page = githubPage(query);
  const { id } = await idOfGithubId(db(), 'deployments', repo.id, params.deployment_id);
  const list = await listStatusEntries(db(), id, page);
  const convert = await Convert.of(db(), origin, repo, { statuses: list.items });
  return ok(
    list.items.map((status) => convert.status(status)),
    pageLinks(origin, path, query, page, list),
  );
});
