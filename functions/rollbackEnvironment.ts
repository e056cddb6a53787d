import { rollback } from '../lib/domain/rollbacks';
import { created, http } from '../lib/http';
import { db } from '../lib/infra/db';
import { environments } from '../schemas/contracts/environments';

/** POST /api/v1/repos/{repo}/environments/{environment}/rollback: go back to a release that ran there before. */
export const handler = http(environments.rollbackEnvironment, async ({ params, body, user, repo }) => {
  const recorded = await rollback(db(), repo, params.environment, { ...body, userId: user.id });
  return created(`/api/v1/deployments/${recorded.id}`, recorded);
});
