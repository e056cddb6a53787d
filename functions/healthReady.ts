import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { NotReady } from '../lib/infra/errors';
import { readiness } from '../lib/infra/readiness';
import { site } from '../schemas/contracts/site';

/** GET /api/v1/health/ready: 200 when every check passes, else 503 naming each that fails. */
export const handler = http(site.healthReady, async () => {
  const { ready, checks } = await readiness(db());
  if (ready) return ok({ status: 'ready', checks });
  const failing = Object.entries(checks).filter(([, check]) => check.status === 'failing');
  throw new NotReady(
    `Not ready: ${failing.map(([name]) => name).join(', ')}.`,
    failing.map(([name, check]) => ({ path: `/checks/${name}`, message: check.detail })),
    checks,
  );
});
