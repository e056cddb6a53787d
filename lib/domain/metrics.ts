import type { DeliveryMetrics } from '../../schemas/metrics';
import { type Queryable, sql } from '../infra/db';
import { BadRequest } from '../infra/errors';
import { isoTime } from '../infra/time';
import type { RepoAccess } from './access';
import { CLOCK_SKEW_MS } from './deployments';
import { findEnvironmentId } from './environments';

const DAY_MS = 24 * 3600 * 1000;
/** The longest window: a year of days is 366 buckets, which is what a chart can show. */
const MAX_WINDOW_DAYS = 366;

/** The window of a metrics request: `to` defaults to now, `from` to 30 days before `to`; from < to, at most a year. */
export function metricsWindow(input: { from?: string; to?: string }, now = Date.now()): { from: Date; to: Date } {
  const to = input.to === undefined ? new Date(now) : new Date(input.to);
  const from = input.from === undefined ? new Date(to.getTime() - 30 * DAY_MS) : new Date(input.from);
  if (from >= to) {
    throw new BadRequest('from must be before to.', [{ path: '/query/from', message: 'must be before to' }]);
  }
  if (to.getTime() - from.getTime() > MAX_WINDOW_DAYS * DAY_MS) {
    throw new BadRequest(`The window from from to to must be at most ${MAX_WINDOW_DAYS} days.`, [
      { path: '/query/from', message: `must be at most ${MAX_WINDOW_DAYS} days before to` },
    ]);
  }
  return { from, to };
}

/**
 * Delivery metrics of one repo in one environment over a window, computed in one SQL statement: per bucket the
 * deployments that ran there (started in the bucket; waiting, rejected and cancelled ones never ran), successes,
 * failures and rollbacks; for the window the successful deployments per day, the change failure rate (finished
 * deployments, not rollbacks, that failed or were rolled back), the time to restore (a failure to the next success
 * there; a deployment that was rolled back to its rollback) and the lead time (a release's creation to its first
 * success there), as median and 90th percentile in seconds. It reads the window's deployments through the history
 * index, so its cost follows the window, not the history.
 */
export async function deliveryMetrics(
  db: Queryable,
  repo: RepoAccess,
  input: { environment: string; from?: string; to?: string; bucket?: 'day' | 'week' },
): Promise<DeliveryMetrics> {
  const { from, to } = metricsWindow(input);
  const bucket = input.bucket ?? 'day';
  const environmentId = await findEnvironmentId(db, repo.orgId, input.environment);
  const [row] = await db.query(sql`
    WITH ran AS (
      SELECT d.id, d.release_id, d.status::text AS status, d.kind::text AS kind, d.started_at, d.ended_at
      FROM deployments d
      WHERE d.repo_id = ${repo.id} AND d.environment_id = ${environmentId}
        AND d.started_at >= ${from} AND d.started_at < ${to}
        AND d.status::text IN ('in_progress', 'success', 'failed')
    ),
    rolled AS (
      -- a rollback is recorded in the environment of the deployment it replaces, after it was recorded (whose start
      -- a client may have put at most CLOCK_SKEW_MS ahead): the few rollbacks there since the window began, by the
      -- deployment each replaced, rather than a probe for every deployment of the window
      SELECT rb.rollback_of AS id, min(rb.ended_at) AS ended_at
      FROM deployments rb
      WHERE rb.repo_id = ${repo.id} AND rb.environment_id = ${environmentId} AND rb.kind = 'rollback'
        AND rb.started_at >= ${new Date(from.getTime() - CLOCK_SKEW_MS)}
      GROUP BY rb.rollback_of
    ),
    counted AS (
      SELECT date_trunc(${bucket}, r.started_at AT TIME ZONE 'UTC') AS start, count(*)::int AS deployments,
             count(*) FILTER (WHERE r.status = 'success')::int AS successes,
             count(*) FILTER (WHERE r.status = 'failed')::int AS failures,
             count(*) FILTER (WHERE r.kind = 'rollback')::int AS rollbacks,
             -- changes: finished deployments that are not rollbacks; failed ones: failed or rolled back since
             count(*) FILTER (WHERE r.kind = 'deploy' AND r.status IN ('success', 'failed')) AS changes,
             count(*) FILTER (WHERE r.kind = 'deploy' AND (r.status = 'failed' OR (r.status = 'success' AND rl.id IS NOT NULL)))
               AS failed_changes
      FROM ran r LEFT JOIN rolled rl ON rl.id = r.id
      GROUP BY 1
    ),
    buckets AS (
      SELECT b.start, coalesce(c.deployments, 0) AS deployments, coalesce(c.successes, 0) AS successes,
             coalesce(c.failures, 0) AS failures, coalesce(c.rollbacks, 0) AS rollbacks
      FROM generate_series(
             date_trunc(${bucket}, ${from}::timestamptz AT TIME ZONE 'UTC'),
             ${to}::timestamptz AT TIME ZONE 'UTC' - interval '1 millisecond',
             ${`1 ${bucket}`}::interval) AS b(start)
      LEFT JOIN counted c ON c.start = b.start
    ),
    restores AS (
      SELECT extract(epoch FROM (
               SELECT min(s.ended_at) FROM deployments s
               WHERE s.repo_id = ${repo.id} AND s.environment_id = ${environmentId} AND s.status = 'success'
                 AND s.ended_at > r.ended_at) - r.ended_at) AS seconds
      FROM ran r WHERE r.status = 'failed'
      UNION ALL
      SELECT extract(epoch FROM rl.ended_at - r.ended_at)
      FROM ran r JOIN rolled rl ON rl.id = r.id WHERE r.status = 'success'
    ),
    leads AS (
      -- a release's first success here is its earliest in the window, unless it succeeded here before: one probe per
      -- release (migration 0016's index), not one per deployment
      SELECT extract(epoch FROM f.first - rel.created_at) AS seconds
      FROM (SELECT release_id, min(ended_at) AS first FROM ran WHERE status = 'success' GROUP BY release_id) f
      JOIN releases rel ON rel.id = f.release_id
      WHERE NOT EXISTS (
        SELECT 1 FROM deployments e
        WHERE e.release_id = f.release_id AND e.environment_id = ${environmentId} AND e.status = 'success'
          AND e.ended_at < f.first)
    )
    SELECT
      (SELECT json_agg(json_build_object('start', b.start AT TIME ZONE 'UTC', 'deployments', b.deployments,
         'successes', b.successes, 'failures', b.failures, 'rollbacks', b.rollbacks) ORDER BY b.start)
       FROM buckets b) AS buckets,
      (SELECT coalesce(sum(successes), 0) FROM counted)::int AS successes,
      (SELECT (sum(failed_changes) / nullif(sum(changes), 0))::float8 FROM counted) AS change_failure_rate,
      (SELECT count(seconds)::int FROM restores) AS restores,
      (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) FROM restores) AS restore_median,
      (SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY seconds) FROM restores) AS restore_p90,
      (SELECT count(*)::int FROM leads) AS leads,
      (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) FROM leads) AS lead_median,
      (SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY seconds) FROM leads) AS lead_p90,
      (SELECT name FROM environments WHERE id = ${environmentId}) AS environment_name
  `);
  const seconds = (value: unknown) => (value === null ? null : Number(value));
  const days = (to.getTime() - from.getTime()) / DAY_MS;
  return {
    environment: { id: environmentId, name: row.environment_name },
    from: from.toISOString(),
    to: to.toISOString(),
    bucket,
    buckets: (row.buckets ?? []).map((b: Record<string, unknown>) => ({ ...b, start: isoTime(b.start) })),
    deploymentFrequency: row.successes / days,
    changeFailureRate: row.change_failure_rate,
    timeToRestore: {
      count: row.restores,
      medianSeconds: seconds(row.restore_median),
      p90Seconds: seconds(row.restore_p90),
    },
    leadTime: { count: row.leads, medianSeconds: seconds(row.lead_median), p90Seconds: seconds(row.lead_p90) },
  };
}
