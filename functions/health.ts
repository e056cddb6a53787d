import { http, ok } from '../lib/http';
import { db, pingDatabase } from '../lib/infra/db';
import { version } from '../package.json';
import { site } from '../schemas/contracts/site';

/** GET /api/v1/health: 200 and the version once the database answers; the problem layer turns an outage into 503. */
export const handler = http(site.health, async () => {
  await pingDatabase(db());
  return ok({ status: 'ok', version });
});
