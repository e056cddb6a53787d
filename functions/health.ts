import { ok, publicHttp } from '../lib/http';
import { db, pingDatabase } from '../lib/infra/db';
import { health } from '../schemas/common';

/** GET /api/v1/health: 200 once the database answers; the problem layer turns an outage into 503. */
export const handler = publicHttp(
  {
    route: 'GET /api/v1/health',
    summary: 'Check that the API and its database answer',
    success: { status: 200, schema: health },
  },
  async () => {
    await pingDatabase(db());
    return ok({ status: 'ok' });
  },
);
