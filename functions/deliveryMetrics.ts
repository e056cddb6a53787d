import { deliveryMetrics } from '../lib/domain/metrics';
import { repoForMember } from '../lib/domain/repos';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { repoParams } from '../schemas/common';
import { deliveryMetrics as metrics, metricsQuery } from '../schemas/metrics';

/** GET /api/v1/repos/{repo}/metrics: deployment frequency, change failure rate, time to restore and lead time. */
export const handler = http(
  {
    params: repoParams,
    query: metricsQuery,
    scope: 'read',
    route: 'GET /api/v1/repos/{repo}/metrics',
    summary:
      'Delivery metrics of the repo in one environment over a window: per day or week, and deployment frequency, change failure rate, time to restore and lead time',
    success: { status: 200, schema: metrics },
  },
  async ({ params, query, user }) => {
    const repo = await repoForMember(db(), params.repo, user);
    return ok(await deliveryMetrics(db(), repo, query));
  },
);
