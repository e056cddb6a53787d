import fc from 'fast-check';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { createDeployment } from '../../lib/domain/deployments';
import { deliveryMetrics } from '../../lib/domain/metrics';
import { sql } from '../../lib/infra/db';
import { environmentsOf, releaseIn } from '../helpers/deployments';
import { orgWithMembers } from '../helpers/factories';
import { directMetrics } from '../helpers/metrics';
import { usePool } from '../helpers/world';

// The metrics read from migration 0017's rollups (kept by triggers on deployments) answer what a direct
// computation from the deployments answers, whatever the writes that led there.
const pool = usePool();
const DAY_MS = 24 * 3600 * 1000;
const BASE = Date.parse('2026-05-01T00:00:00.000Z');
const SPAN_DAYS = 12;
const STATUSES = ['waiting', 'in_progress', 'success', 'failed', 'rejected', 'cancelled'] as const;

// times over the whole span, and many within its first hours so that windows' ends fall among deployments
const time = fc.oneof(
  fc.integer({ min: 0, max: SPAN_DAYS * DAY_MS - 1 }),
  fc.integer({ min: 0, max: 4 * 3600 * 1000 }),
);
const duration = fc.integer({ min: 0, max: 6 * 3600 * 1000 });
/** A write, with indexes into what exists when it runs (taken modulo their count). */
const write = fc.oneof(
  fc.record({
    op: fc.constant('insert' as const),
    // several rows in one statement exercise the triggers' transition tables
    rows: fc.array(
      fc.record({
        release: fc.nat(),
        environment: fc.nat(1),
        status: fc.constantFrom(...STATUSES),
        at: time,
        took: duration,
      }),
      { minLength: 1, maxLength: 4 },
    ),
  }),
  // a rollback of an earlier deployment, in its environment, after it
  fc.record({ op: fc.constant('rollback' as const), of: fc.nat(), after: duration, took: duration }),
  // a waiting deployment approved (it starts now, so its day can move) or a running one finished
  fc.record({
    op: fc.constant('advance' as const),
    pick: fc.nat(),
    status: fc.constantFrom('in_progress', 'success', 'failed', 'rejected', 'cancelled'),
    at: time,
    took: duration,
  }),
  // a deployment deleted with the rollbacks of it (and theirs) in one statement: the DELETE trigger sees them together
  fc.record({ op: fc.constant('delete' as const), pick: fc.nat() }),
  // a finished deployment's times rewritten (several rows at once)
  fc.record({
    op: fc.constant('retime' as const),
    picks: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
    at: time,
  }),
);

type Write = typeof write extends fc.Arbitrary<infer T> ? T : never;

/** Runs the writes, each one statement as the API would issue it (an insert may hold several rows). */
async function apply(ids: { release: string[]; environment: string[]; user: string }, writes: Write[]) {
  const iso = (ms: number) => new Date(BASE + ms).toISOString();
  const pick = async <T>(query: ReturnType<typeof sql>, index: number): Promise<T | undefined> => {
    const rows = (await pool.query(query)) as T[];
    return rows[index % Math.max(1, rows.length)];
  };
  const ours = sql`release_id = ANY (${ids.release})`;
  for (const w of writes) {
    if (w.op === 'insert') {
      const values = w.rows.map((r) => {
        const finished = !['waiting', 'in_progress'].includes(r.status);
        return sql`(${ids.release[r.release % ids.release.length]}, ${ids.environment[r.environment]},
          ${r.status}::deployment_status, ${iso(r.at)}::timestamptz, ${finished ? iso(r.at + r.took) : null}::timestamptz,
          ${ids.user}, ${r.status === 'waiting' ? 'success' : null}::deployment_status)`;
      });
      await pool.query(sql`
        INSERT INTO deployments (release_id, environment_id, status, started_at, ended_at, deployed_by, requested_status)
        VALUES ${sql.join(values, ', ')}`);
    } else if (w.op === 'rollback') {
      // as the API does: a success rolled back, later, in its environment
      const target = await pick<{ id: string }>(
        sql`SELECT id FROM deployments WHERE ${ours} AND status = 'success' ORDER BY id`,
        w.of,
      );
      if (!target) continue;
      await pool.query(sql`
        INSERT INTO deployments (release_id, environment_id, status, kind, rollback_of, reason, started_at, ended_at,
                                 deployed_by)
        SELECT ${ids.release[w.of % ids.release.length]}, environment_id, 'success', 'rollback', id, 'test',
               ended_at + ${`${w.after} ms`}::interval, ended_at + ${`${w.after + w.took} ms`}::interval, ${ids.user}
        FROM deployments WHERE id = ${target.id}`);
    } else if (w.op === 'advance') {
      const target = await pick<{ id: string }>(
        sql`SELECT id FROM deployments WHERE ${ours} AND status::text IN ('waiting', 'in_progress') ORDER BY id`,
        w.pick,
      );
      if (!target) continue;
      const finished = w.status !== 'in_progress';
      await pool.query(sql`
        UPDATE deployments SET status = ${w.status}::deployment_status,
          started_at = CASE WHEN status = 'waiting' THEN ${iso(w.at)}::timestamptz ELSE started_at END,
          ended_at = CASE WHEN ${finished} THEN
            (CASE WHEN status = 'waiting' THEN ${iso(w.at)}::timestamptz ELSE started_at END) + ${`${w.took} ms`}::interval
          END
        WHERE id = ${target.id}`);
    } else if (w.op === 'delete') {
      const target = await pick<{ id: string }>(sql`SELECT id FROM deployments WHERE ${ours} ORDER BY id`, w.pick);
      if (!target) continue;
      // its rollbacks, theirs in turn (a rollback can be rolled back: the foreign key refuses leaving one behind)
      await pool.query(sql`
        WITH RECURSIVE chain AS (
          SELECT id FROM deployments WHERE id = ${target.id}
          UNION SELECT d.id FROM deployments d JOIN chain c ON d.rollback_of = c.id)
        DELETE FROM deployments WHERE id IN (SELECT id FROM chain)`);
    } else {
      // finished deployments that neither are nor have rollbacks (whose order the API keeps), several at once
      const finished = (await pool.query(sql`
        SELECT d.id FROM deployments d
        WHERE ${ours} AND d.ended_at IS NOT NULL AND d.kind = 'deploy'
          AND NOT EXISTS (SELECT 1 FROM deployments rb WHERE rb.rollback_of = d.id)
        ORDER BY d.id`)) as { id: string }[];
      if (finished.length === 0) continue;
      const chosen = [...new Set(w.picks.map((p) => finished[p % finished.length]!.id))];
      await pool.query(sql`
        UPDATE deployments SET started_at = ${iso(w.at)}::timestamptz,
          ended_at = ${iso(w.at)}::timestamptz + (ended_at - started_at)
        WHERE id = ANY (${chosen})`);
    }
  }
}

/** The buckets of an answer by day as the direct computation gives them: only those with deployments. */
function byStart(
  buckets: { start: string; deployments: number; successes: number; failures: number; rollbacks: number }[],
) {
  return Object.fromEntries(
    buckets
      .filter((b) => b.deployments > 0)
      .map((b) => [b.start.slice(0, 10), [b.deployments, b.successes, b.failures, b.rollbacks]]),
  );
}

describe('delivery metrics from the rollups', () => {
  it('answers as a direct computation from the deployments, after random inserts, approvals, finishes, rollbacks, moves and deletions', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(write, { minLength: 5, maxLength: 40 }),
        fc.array(
          fc.record({
            environment: fc.nat(1),
            from: time,
            // windows within an hour, across a few hours, across days
            length: fc.oneof(
              fc.integer({ min: 1, max: 3600 * 1000 }),
              fc.integer({ min: 1, max: 4 * 3600 * 1000 }),
              fc.integer({ min: 1, max: SPAN_DAYS * DAY_MS }),
            ),
            week: fc.boolean(),
          }),
          { minLength: 3, maxLength: 6 },
        ),
        async (writes, windows) => {
          const w = await orgWithMembers(pool);
          const envs = await environmentsOf(pool, w.org.id);
          const releases = [];
          for (let i = 0; i < 4; i += 1) {
            const release = await releaseIn(pool, w.repo.id, w.developer.id);
            await pool.query(
              sql`UPDATE releases SET created_at = ${new Date(BASE - (i + 1) * 3600 * 1000)} WHERE id = ${release.id}`,
            );
            releases.push(release.id);
          }
          const environments = [envs.dev!.id, envs.stg!.id];
          await apply({ release: releases, environment: environments, user: w.releaseManager.id }, writes);
          // a release's creation moved afterwards reaches its lead times
          await pool.query(
            sql`UPDATE releases SET created_at = created_at - interval '90 minutes' WHERE id = ${releases[writes.length % 4]}`,
          );
          // whole windows and windows whose ends fall within a day, by day and by week
          for (const window of [
            { environment: 0, from: -DAY_MS, length: (SPAN_DAYS + 2) * DAY_MS, week: false },
            ...windows,
          ]) {
            const from = new Date(BASE + window.from);
            const to = new Date(from.getTime() + window.length);
            const bucket = window.week ? 'week' : 'day';
            const environmentId = environments[window.environment]!;
            const name = window.environment === 0 ? 'dev' : 'stg';
            const got = await deliveryMetrics(
              pool,
              { id: w.repo.id, orgId: w.org.id, role: 'developer' },
              {
                environment: name,
                from: from.toISOString(),
                to: to.toISOString(),
                bucket,
              },
            );
            const want = await directMetrics(pool, w.repo.id, environmentId, from, to, bucket);
            expect(byStart(got.buckets)).toEqual(want.buckets);
            expect(got.deploymentFrequency).toBeCloseTo(want.deploymentFrequency, 9);
            expect(got.changeFailureRate).toEqual(want.changeFailureRate);
            expect(got.timeToRestore).toEqual(want.timeToRestore);
            expect(got.leadTime).toEqual(want.leadTime);
          }
        },
      ),
      // a failure is reported at once with its seed and path (fc.assert's `seed` and `path` replay it), not shrunk:
      // each shrinking step replays a whole history against the database, which outran the test's budget in CI
      { numRuns: 25, endOnFailure: true },
    );
    // 25 histories of up to 40 statements each, on a loaded machine
  }, 120_000);
});

describe('the first-success rollup of a release deployed again and again', () => {
  it('keeps its row as it is (no new row version per redeploy), and moves it only when an earlier success appears', async () => {
    const world = await orgWithMembers(pool);
    const { dev } = await environmentsOf(pool, world.org.id);
    const release = await releaseIn(pool, world.repo.id, world.releaseManager.id);
    const access = { id: world.repo.id, orgId: world.org.id, role: 'release_manager' as const };
    const deploy = (startedAt: string) =>
      createDeployment(pool, access, {
        release: release.id,
        deployedBy: world.releaseManager.id,
        environmentId: dev!.id,
        startedAt,
        endedAt: startedAt,
      });
    const row = async () => {
      const [found] = await pool.query(sql`
        SELECT xmin::text AS version, deployment_id FROM metrics_first_successes
        WHERE release_id = ${release.id} AND environment_id = ${dev!.id}`);
      return found as { version: string; deployment_id: string };
    };
    const first = await deploy('2026-05-02T10:00:00.000Z');
    const before = await row();
    expect(before.deployment_id).toBe(first.id);
    for (const hour of [11, 12, 13]) await deploy(`2026-05-02T${hour}:00:00.000Z`);
    // a redeploy that is not the first success leaves the row untouched: the same tuple, not a new version of it
    expect(await row()).toEqual(before);
    const earlier = await deploy('2026-05-02T09:00:00.000Z');
    expect((await row()).deployment_id).toBe(earlier.id);
  });
});

describe('the rollups under writers at once', () => {
  it('a failure and the success after it, written by two transactions at once, count as one restore', async () => {
    const w = await orgWithMembers(pool);
    const { dev } = await environmentsOf(pool, w.org.id);
    // two releases and two hours: the writers share no row (a release's deployment count, an hour's counts) that would
    // queue the second behind the first anyway
    const failing = await releaseIn(pool, w.repo.id, w.developer.id);
    const fixing = await releaseIn(pool, w.repo.id, w.developer.id);
    const insert = (release: string, status: string, at: string): [string, string[]] => [
      `INSERT INTO deployments (release_id, environment_id, status, started_at, ended_at, deployed_by)
       VALUES ($1, $2, $3::deployment_status, $4::timestamptz, $4::timestamptz + interval '5 minutes', $5)`,
      [release, dev!.id, status, at, w.releaseManager.id],
    ];
    const [first, second] = [0, 1].map(() => new pg.Client({ connectionString: inject('databaseUrl') })) as [
      pg.Client,
      pg.Client,
    ];
    await Promise.all([first.connect(), second.connect()]);
    try {
      await first.query('BEGIN');
      await first.query(...insert(failing.id, 'failed', '2026-05-03T10:00:00Z'));
      await second.query('BEGIN');
      const [{ pid }] = (await second.query('SELECT pg_backend_pid() AS pid')).rows;
      let written = false;
      const writing = second.query(...insert(fixing.id, 'success', '2026-05-03T11:30:00Z')).then(() => {
        written = true;
      });
      // the second writer waits for the first's transaction (the rollups' lock on the repo and environment); were
      // it not to, it has written its success without seeing the failure: either way, the first commits only then
      for (let waited = 0; !written; waited += 1) {
        const [row] = await pool.query(sql`SELECT wait_event_type FROM pg_stat_activity WHERE pid = ${pid}`);
        if (row?.wait_event_type === 'Lock') break;
        if (waited > 3000) throw new Error('the second writer neither finished nor waited');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await first.query('COMMIT');
      await writing;
      await second.query('COMMIT');
    } finally {
      await Promise.all([first.end(), second.end()]);
    }
    const from = new Date('2026-05-03T00:00:00Z');
    const to = new Date('2026-05-04T00:00:00Z');
    const got = await deliveryMetrics(
      pool,
      { id: w.repo.id, orgId: w.org.id, role: 'developer' },
      { environment: 'dev', from: from.toISOString(), to: to.toISOString() },
    );
    // the failure ended at 10:05, the success at 11:35
    expect(got.timeToRestore).toEqual({ count: 1, medianSeconds: 5400, p90Seconds: 5400 });
    expect(got.timeToRestore).toEqual((await directMetrics(pool, w.repo.id, dev!.id, from, to, 'day')).timeToRestore);
  });
});
