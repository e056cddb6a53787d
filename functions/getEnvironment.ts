import { getEnvironment } from '../lib/domain/environments';
import { orgForMember } from '../lib/domain/orgs';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { environments } from '../schemas/contracts/environments';

/** GET /api/v1/orgs/{org}/environments/{environment}: one environment, by id or name (where Location points). */
export const handler = http(environments.getEnvironment, async ({ params, user }) => {
  const org = await orgForMember(db(), params.org, user.id);
  return ok(await getEnvironment(db(), org.id, params.environment));
});
