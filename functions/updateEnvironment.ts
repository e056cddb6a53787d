import { updateEnvironment } from '../lib/domain/environments';
import { orgForMember } from '../lib/domain/orgs';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { environments } from '../schemas/contracts/environments';

/** PATCH /api/v1/orgs/{org}/environments/{environment}: a release manager changes its place and rules. */
export const handler = http(environments.updateEnvironment, async ({ params, body, user }) => {
  const org = await orgForMember(db(), params.org, user.id);
  return ok(await updateEnvironment(db(), org, params.environment, body, user.id));
});
