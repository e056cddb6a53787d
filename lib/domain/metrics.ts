import type { DeliveryMetrics } from '../../schemas/metrics';
import { type Queryable, sql } from '../infra/db';
import { BadRequest } from '../infra/errors';
import { isoTime } from '../infra/time';
import type { RepoAccess } from './access';
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

const HOUR_MS = 3600 * 1000;
/** `time` rounded to the nearest UTC hour (a half hour up). */
const nearestHour = (time: Date) => new Date(Math.floor((time.getTime() + HOUR_MS / 2) / HOUR_MS) * HOUR_MS);

/**
 * Delivery metrics of one repo in one environment over a window: per bucket the deployments that ran there (started
 * in the bucket; waiting, rejected and cancelled ones never ran), successes, failures and rollbacks; for the window
 * the successful deployments per day, the change failure rate (finished deployments, not rollbacks, that failed or
 * were rolled back), the time to restore (a failure to the next success there; a deployment that was rolled back to
 * its rollback's end) and the lead time (a release's creation to its first success there), as median and 90th
 * percentile in seconds.
 *
 * It reads what migration 0017 keeps in step with deployments: the counts of the window rounded to the nearest hours
 * from metrics_hours, corrected by the deployments of the at most half hour at each end by which the rounded window
 * differs (added where it falls short, subtracted where it overshoots), its restores from metrics_restores and its
 * first successes from metrics_first_successes, each an index range by started_at; so its cost follows the hours
 * and the incidents of the window, not its deployments (26,000 in 90 days of the bench: 371 ms p50 counted one by one).
 */
export async function deliveryMetrics(
  db: Queryable,
  repo: RepoAccess,
  input: { environment: string; from?: string; to?: string; bucket?: 'day' | 'week' },
): Promise<DeliveryMetrics> {
  const { from, to } = metricsWindow(input);
  const bucket = input.bucket ?? 'day';
  const environmentId = await findEnvironmentId(db, repo.orgId, input.environment);
  // [from, to) = the hours [start, end) + [from, start) + [end, to), a range taken negatively when reversed;
  // start <= end since rounding keeps the order
  const start = nearestHour(from);
  const end = nearestHour(to);
  const [startLow, startHigh, startSign] = from <= start ? [from, start, 1] : [start, from, -1];
  const [endLow, endHigh, endSign] = end <= to ? [end, to, 1] : [to, end, -1];
  const [row] = await db.query(sql`
    WITH edges AS (
      SELECT e.sign, d.started_at AT TIME ZONE 'UTC' AS hour, d.status::text AS status, d.kind::text AS kind,
             d.kind = 'deploy' AND d.status = 'success'
               AND EXISTS (SELECT 1 FROM deployments rb WHERE rb.rollback_of = d.id) AS rolled
      FROM deployments d
      -- each end its own index range (joined to a list of ranges, the planner read all deployments)
      JOIN LATERAL (
        SELECT ${startSign}::int AS sign
        WHERE d.started_at >= ${startLow}::timestamptz AND d.started_at < ${startHigh}::timestamptz
        UNION ALL
        SELECT ${endSign}::int WHERE d.started_at >= ${endLow}::timestamptz AND d.started_at < ${endHigh}::timestamptz
      ) e ON true
      WHERE d.repo_id = ${repo.id} AND d.environment_id = ${environmentId}
        AND ((d.started_at >= ${startLow}::timestamptz AND d.started_at < ${startHigh}::timestamptz)
             OR (d.started_at >= ${endLow}::timestamptz AND d.started_at < ${endHigh}::timestamptz))
        AND d.status::text IN ('in_progress', 'success', 'failed')
    ),
    hours AS (
      SELECT m.hour, m.deployments, m.successes, m.failures, m.rollbacks, m.changes, m.failed_changes
      FROM metrics_hours m
      WHERE m.repo_id = ${repo.id} AND m.environment_id = ${environmentId}
        AND m.hour >= ${start}::timestamptz AT TIME ZONE 'UTC' AND m.hour < ${end}::timestamptz AT TIME ZONE 'UTC'
      UNION ALL
      SELECT e.hour, e.sign, e.sign * (e.status = 'success')::int, e.sign * (e.status = 'failed')::int,
             e.sign * (e.kind = 'rollback')::int, e.sign * (e.kind = 'deploy' AND e.status IN ('success', 'failed'))::int,
             e.sign * (e.kind = 'deploy' AND (e.status = 'failed' OR e.rolled))::int
      FROM edges e
    ),
    counted AS (
      SELECT date_trunc(${bucket}, h.hour) AS start, sum(h.deployments)::int AS deployments,
             sum(h.successes)::int AS successes, sum(h.failures)::int AS failures, sum(h.rollbacks)::int AS rollbacks,
             sum(h.changes) AS changes, sum(h.failed_changes) AS failed_changes
      FROM hours h
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
      SELECT extract(epoch FROM r.restored_at - r.ended_at) AS seconds
      FROM metrics_restores r
      WHERE r.repo_id = ${repo.id} AND r.environment_id = ${environmentId}
        AND r.started_at >= ${from} AND r.started_at < ${to}
    ),
    leads AS (
      SELECT extract(epoch FROM f.ended_at - f.release_created_at) AS seconds
      FROM metrics_first_successes f
      WHERE f.repo_id = ${repo.id} AND f.environment_id = ${environmentId}
        AND f.started_at >= ${from} AND f.started_at < ${to}
    )
    SELECT
      (SELECT json_agg(json_build_object('start', b.start AT TIME ZONE 'UTC', 'deployments', b.deployments,
         'successes', b.successes, 'failures', b.failures, 'rollbacks', b.rollbacks) ORDER BY b.start)
       FROM buckets b) AS buckets,
      (SELECT coalesce(sum(successes), 0) FROM counted)::int AS successes,
      (SELECT (sum(failed_changes) / nullif(sum(changes), 0))::float8 FROM counted) AS change_failure_rate,
      -- both percentiles from one sort
      r.restores, r.percentiles[1] AS restore_median, r.percentiles[2] AS restore_p90,
      l.leads, l.percentiles[1] AS lead_median, l.percentiles[2] AS lead_p90,
      (SELECT name FROM environments WHERE id = ${environmentId}) AS environment_name
    FROM (SELECT count(seconds)::int AS restores, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY seconds)
            AS percentiles FROM restores) r,
         (SELECT count(*)::int AS leads, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY seconds)
            AS percentiles FROM leads) l
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
