import { deliveryMetrics } from '../lib/domain/metrics';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { metrics } from '../schemas/contracts/metrics';

/** GET /api/v1/repos/{repo}/metrics: deployment frequency, change failure rate, time to restore and lead time. */
export const handler = http(metrics.deliveryMetrics, async ({ query, repo }) => {
  return ok(await deliveryMetrics(db(), repo, query));
});
