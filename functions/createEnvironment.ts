import { createEnvironment } from '../lib/domain/environments';
import { orgForMember } from '../lib/domain/orgs';
import { created, http } from '../lib/http';
import { db } from '../lib/infra/db';
import { createEnvironmentBody, environment, orgParams } from '../schemas/environments';

/** POST /api/v1/orgs/{org}/environments: a release manager adds an environment, protected or not. */
export const handler = http(
  {
    params: orgParams,
    body: createEnvironmentBody,
    scope: 'admin',
    route: 'POST /api/v1/orgs/{org}/environments',
    summary: 'Create an environment of an org (release managers only; names are unique in the org)',
    success: { status: 201, schema: environment },
    problems: [403],
  },
  async ({ params, body, user, path }) => {
    const org = await orgForMember(db(), params.org, user.id);
    const made = await createEnvironment(db(), org, { ...body, actorId: user.id });
    return created(`${path}/${made.id}`, made);
  },
);
