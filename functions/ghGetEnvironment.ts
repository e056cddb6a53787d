import { getEnvironment } from '../lib/domain/environments';
import { Convert } from '../lib/github/convert';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { github } from '../schemas/contracts/github';

/** GET /api/v3/repos/{owner}/{repo}/environments/{environment_name}: GitHub's get an environment. */
export const handler = http(github.ghGetEnvironment, async ({ params, origin, repo }) => {
  const environment = await getEnvironment(db(), repo.orgId, params.environment_name);
  return ok((await Convert.of(db(), origin, repo, { environments: [environment] })).environment(environment));
});
