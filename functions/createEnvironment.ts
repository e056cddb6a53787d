import { createEnvironment } from '../lib/domain/environments';
import { orgForMember } from '../lib/domain/orgs';
import { created, http } from '../lib/http';
import { db } from '../lib/infra/db';
import { environments } from '../schemas/contracts/environments';

/** POST /api/v1/orgs/{org}/environments: a release manager adds an environment, protected or not. */
export const handler = http(environments.createEnvironment, async ({ params, body, user, path }) => {
  const org = await orgForMember(db(), params.org, user.id);
  const made = await createEnvironment(db(), org, { ...body, actorId: user.id });
  return created(`${path}/${made.id}`, made);
});
