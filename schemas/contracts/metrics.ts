import { repoParams } from '../common';
import { contract } from '../contract';
import { deliveryMetrics, metricsQuery } from '../metrics';

/** The routes of metrics. */
export const metrics = {
  deliveryMetrics: contract({
    method: 'GET',
    path: '/api/v1/repos/{repo}/metrics',
    scope: 'read',
    access: 'repo',
    params: repoParams,
    query: metricsQuery,
    summary:
      'Delivery metrics of the repo in one environment over a window: per day or week, and deployment frequency, change failure rate, time to restore and lead time',
    success: { status: 200, schema: deliveryMetrics },
  }),
};
