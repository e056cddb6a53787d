import { updateEnvironment } from '../lib/domain/environments';
import { orgForMember } from '../lib/domain/orgs';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { environment, environmentParams, updateEnvironmentBody } from '../schemas/environments';

/** PATCH /api/v1/orgs/{org}/environments/{environment}: a release manager changes its place and rules. */
export const handler = http(
  {
    params: environmentParams,
    body: updateEnvironmentBody,
    scope: 'admin',
    route: 'PATCH /api/v1/orgs/{org}/environments/{environment}',
    summary:
      "Change an environment's position, requires, requiredApprovals or protection (release managers; requires must not make a cycle)",
    success: { status: 200, schema: environment },
    problems: [403, 422],
  },
  async ({ params, body, user }) => {
    const org = await orgForMember(db(), params.org, user.id);
    return ok(await updateEnvironment(db(), org, params.environment, body, user.id));
  },
);
