import type { Queryable } from '@databases/pg';
import { CLOCK_SKEW_MS } from '../../lib/domain/deploymentTimes';
import { sql } from '../../lib/infra/db';

const DAY_MS = 24 * 3600 * 1000;

/**
 * The metrics counted from deployments alone, as lib/domain/metrics computed them before migration 0017: every
 * deployment of the window read and classified, restores and first successes probed from deployments.
 */
export async function directMetrics(
  db: Queryable,
  repoId: string,
  environmentId: string,
  from: Date,
  to: Date,
  bucket: 'day' | 'week',
) {
  const [row] = await db.query(sql`
    WITH ran AS (
      SELECT d.id, d.release_id, d.status::text AS status, d.kind::text AS kind, d.started_at, d.ended_at
      FROM deployments d
      WHERE d.repo_id = ${repoId} AND d.environment_id = ${environmentId}
        AND d.started_at >= ${from} AND d.started_at < ${to} AND d.status::text IN ('in_progress', 'success', 'failed')
    ),
    rolled AS (
      SELECT rb.rollback_of AS id, min(rb.ended_at) AS ended_at
      FROM deployments rb
      WHERE rb.repo_id = ${repoId} AND rb.environment_id = ${environmentId} AND rb.kind = 'rollback'
        AND rb.started_at >= ${new Date(from.getTime() - CLOCK_SKEW_MS)}
      GROUP BY rb.rollback_of
    ),
    counted AS (
      SELECT date_trunc(${bucket}, r.started_at AT TIME ZONE 'UTC') AS start, count(*)::int AS deployments,
             count(*) FILTER (WHERE r.status = 'success')::int AS successes,
             count(*) FILTER (WHERE r.status = 'failed')::int AS failures,
             count(*) FILTER (WHERE r.kind = 'rollback')::int AS rollbacks,
             count(*) FILTER (WHERE r.kind = 'deploy' AND r.status IN ('success', 'failed')) AS changes,
             count(*) FILTER (WHERE r.kind = 'deploy' AND (r.status = 'failed' OR (r.status = 'success' AND rl.id IS NOT NULL)))
               AS failed_changes
      FROM ran r LEFT JOIN rolled rl ON rl.id = r.id
      GROUP BY 1
    ),
    restores AS (
      SELECT extract(epoch FROM (
               SELECT min(s.ended_at) FROM deployments s
               WHERE s.repo_id = ${repoId} AND s.environment_id = ${environmentId} AND s.status = 'success'
                 AND s.ended_at > r.ended_at) - r.ended_at) AS seconds
      FROM ran r WHERE r.status = 'failed'
      UNION ALL
      SELECT extract(epoch FROM rl.ended_at - r.ended_at) FROM ran r JOIN rolled rl ON rl.id = r.id WHERE r.status = 'success'
    ),
    leads AS (
      SELECT extract(epoch FROM f.first - rel.created_at) AS seconds
      FROM (SELECT release_id, min(ended_at) AS first FROM ran WHERE status = 'success' GROUP BY release_id) f
      JOIN releases rel ON rel.id = f.release_id
      WHERE NOT EXISTS (
        SELECT 1 FROM deployments e
        WHERE e.release_id = f.release_id AND e.environment_id = ${environmentId} AND e.status = 'success'
          AND e.ended_at < f.first)
    )
    SELECT
      (SELECT json_object_agg(to_char(start, 'YYYY-MM-DD'), json_build_array(deployments, successes, failures, rollbacks))
       FROM counted) AS buckets,
      (SELECT coalesce(sum(successes), 0) FROM counted)::int AS successes,
      (SELECT (sum(failed_changes) / nullif(sum(changes), 0))::float8 FROM counted) AS change_failure_rate,
      (SELECT count(seconds)::int FROM restores) AS restores,
      (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) FROM restores) AS restore_median,
      (SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY seconds) FROM restores) AS restore_p90,
      (SELECT count(*)::int FROM leads) AS leads,
      (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) FROM leads) AS lead_median,
      (SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY seconds) FROM leads) AS lead_p90
  `);
  const seconds = (value: unknown) => (value === null ? null : Number(value));
  return {
    buckets: (row.buckets ?? {}) as Record<string, [number, number, number, number]>,
    deploymentFrequency: row.successes / ((to.getTime() - from.getTime()) / DAY_MS),
    changeFailureRate: row.change_failure_rate,
    timeToRestore: {
      count: row.restores,
      medianSeconds: seconds(row.restore_median),
      p90Seconds: seconds(row.restore_p90),
    },
    leadTime: { count: row.leads, medianSeconds: seconds(row.lead_median), p90Seconds: seconds(row.lead_p90) },
  };
}
