import { sql, db } from '../lib/db';
import { publicHttp, ok } from '../lib/http';

/** GET /api/v1/health: 200 once the database answers; the problem layer turns an outage into 503. */
export const handler = publicHttp(async () => {
  await db().query(sql`SELECT 1`);
  return ok({ status: 'ok' });
});
