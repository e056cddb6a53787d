import { repoForMember } from '../lib/domain/repos';
import { rollback } from '../lib/domain/rollbacks';
import { created, http } from '../lib/http';
import { db } from '../lib/infra/db';
import { deployment, rollbackBody } from '../schemas/deployments';
import { repoEnvironmentParams } from '../schemas/environments';

/** POST /api/v1/repos/{repo}/environments/{environment}/rollback: go back to a release that ran there before. */
export const handler = http(
  {
    params: repoEnvironmentParams,
    body: rollbackBody,
    scope: 'deploy',
    route: 'POST /api/v1/repos/{repo}/environments/{environment}/rollback',
    summary:
      'Roll an environment back to the release that ran there before the current one (or to `to`): records a deployment of kind rollback',
    success: { status: 201, schema: deployment },
    problems: [403, 409, 422],
  },
  async ({ params, body, user }) => {
    const repo = await repoForMember(db(), params.repo, user);
    const recorded = await rollback(db(), repo, params.environment, { ...body, userId: user.id });
    return created(`/api/v1/deployments/${recorded.id}`, recorded);
  },
);
