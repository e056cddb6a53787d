import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { deliveryMetrics } from '../../lib/domain/metrics';
import { sql } from '../../lib/infra/db';
import { directMetrics } from '../helpers/metrics';
import { type OwnDatabase, ownDatabase } from '../helpers/ownDatabase';

// What a migration does to the data already there: a database made at the level before 0017 (delivery metrics
// rollups) and 0018 (release deployment counts) gets deployments, then is migrated on. Every other test database is
// migrated from empty, where the data-copy steps of a migration copy nothing.
const BEFORE = '0016_metrics_indexes';
const BASE = Date.parse('2026-05-01T00:00:00.000Z');
const HOUR_MS = 3600 * 1000;
const DAY_MS = 24 * HOUR_MS;
const STATUSES = ['success', 'failed', 'success', 'in_progress', 'waiting', 'success', 'rejected', 'cancelled'];

let own: OwnDatabase;
const ids = { org: '', user: '', repos: [] as string[], environments: [] as string[], releases: [] as string[] };

beforeAll(async () => {
  own = await ownDatabase(inject('databaseUrl'), { to: BEFORE });
  const { pool } = own;
  [{ id: ids.org }] = (await pool.query(sql`INSERT INTO orgs (slug, name) VALUES ('old', 'Old') RETURNING id`)) as [
    { id: string },
  ];
  [{ id: ids.user }] = (await pool.query(sql`INSERT INTO users (name) VALUES ('rm') RETURNING id`)) as [{ id: string }];
  for (const name of ['app', 'lib']) {
    const [repo] = await pool.query(sql`INSERT INTO repos (org_id, name) VALUES (${ids.org}, ${name}) RETURNING id`);
    ids.repos.push(repo.id);
  }
  for (const name of ['dev', 'stg']) {
    const [env] = await pool.query(
      sql`INSERT INTO environments (org_id, name) VALUES (${ids.org}, ${name}) RETURNING id`,
    );
    ids.environments.push(env.id);
  }
  // four releases a repo, and one more that is never deployed
  for (const [r, repo] of ids.repos.entries()) {
    for (let i = 0; i <= 4; i += 1) {
      const [release] = await pool.query(sql`
        INSERT INTO releases (repo_id, version, created_by, created_at)
        VALUES (${repo}, ${`1.${i}.0`}, ${ids.user}, ${new Date(BASE - (i + r + 1) * HOUR_MS)}) RETURNING id`);
      if (i < 4) ids.releases.push(release.id);
    }
  }
  // 60 deployments over five days, every status, both repos in both environments at the same hours
  const rows = [];
  let seed = 29;
  const next = (n: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return (seed >> 16) % n;
  };
  for (let k = 0; k < 60; k += 1) {
    const status = STATUSES[next(STATUSES.length)]!;
    const startedAt = new Date(BASE + k * 97 * 60 * 1000);
    const finished = status !== 'in_progress' && status !== 'waiting';
    rows.push(sql`(${ids.releases[next(ids.releases.length)]}, ${ids.environments[next(2)]},
      ${status}::deployment_status, ${startedAt}, ${finished ? new Date(startedAt.getTime() + next(7) * 60_000) : null}::timestamptz,
      ${ids.user}, ${status === 'waiting' ? 'success' : null}::deployment_status)`);
  }
  await pool.query(sql`
    INSERT INTO deployments (release_id, environment_id, status, started_at, ended_at, deployed_by, requested_status)
    VALUES ${sql.join(rows, ', ')}`);
  // a rollback of every third success, in its environment, half an hour after it ended
  await pool.query(sql`
    INSERT INTO deployments (release_id, environment_id, status, kind, rollback_of, reason, started_at, ended_at,
                             deployed_by)
    SELECT release_id, environment_id, 'success', 'rollback', id, 'old', ended_at + interval '30 minutes',
           ended_at + interval '40 minutes', deployed_by
    FROM (SELECT d.*, row_number() OVER (ORDER BY started_at) AS n FROM deployments d WHERE status = 'success') s
    WHERE n % 3 = 0`);
  expect(await own.migrate()).toEqual(
    expect.arrayContaining(['0017_metrics_rollups', '0018_release_deployment_counts']),
  );
}, 120_000);
afterAll(() => own?.drop());

/** Each repo and environment over the whole span and over windows whose ends fall within hours, by day and week. */
async function expectMetricsAsComputed() {
  const windows = [
    { from: BASE - DAY_MS, to: BASE + 6 * DAY_MS, bucket: 'day' as const },
    { from: BASE + 5 * HOUR_MS + 1_000, to: BASE + 3 * DAY_MS + 20 * 60_000, bucket: 'week' as const },
    { from: BASE + 26 * HOUR_MS, to: BASE + 30 * HOUR_MS + 45 * 60_000, bucket: 'day' as const },
  ];
  let counted = 0;
  for (const repo of ids.repos) {
    for (const [e, environment] of ['dev', 'stg'].entries()) {
      for (const window of windows) {
        const from = new Date(window.from);
        const to = new Date(window.to);
        const got = await deliveryMetrics(
          own.pool,
          { id: repo, orgId: ids.org, role: 'developer' },
          { environment, from: from.toISOString(), to: to.toISOString(), bucket: window.bucket },
        );
        const want = await directMetrics(own.pool, repo, ids.environments[e]!, from, to, window.bucket);
        expect(
          Object.fromEntries(
            got.buckets
              .filter((b) => b.deployments > 0)
              .map((b) => [b.start.slice(0, 10), [b.deployments, b.successes, b.failures, b.rollbacks]]),
          ),
        ).toEqual(want.buckets);
        expect(got.deploymentFrequency).toBeCloseTo(want.deploymentFrequency, 9);
        expect(got.changeFailureRate).toEqual(want.changeFailureRate);
        expect(got.timeToRestore).toEqual(want.timeToRestore);
        expect(got.leadTime).toEqual(want.leadTime);
        counted += want.timeToRestore.count + want.leadTime.count + Object.keys(want.buckets).length;
      }
    }
  }
  return counted;
}

describe('migrations on a database that has data', () => {
  it('0017 fills the metrics rollups from the deployments already there: the metrics answer as counted from them', async () => {
    // the data is not trivially empty: each kind of rollup has rows to get wrong
    const [sizes] = await own.pool.query(sql`
      SELECT (SELECT count(*)::int FROM metrics_hours) AS hours,
             (SELECT count(*)::int FROM metrics_restores WHERE failed) AS failures,
             (SELECT count(*)::int FROM metrics_restores WHERE NOT failed) AS rolled,
             (SELECT count(*)::int FROM metrics_first_successes) AS firsts`);
    expect(sizes.hours).toBeGreaterThan(20);
    expect(sizes.failures).toBeGreaterThan(3);
    expect(sizes.rolled).toBeGreaterThan(3);
    expect(sizes.firsts).toBeGreaterThan(3);
    expect(await expectMetricsAsComputed()).toBeGreaterThan(30);
  });

  it("0018 copies each release's deployment count into its own table, and a release never deployed has no row", async () => {
    const counts = await own.pool.query(
      sql`SELECT release_id, deployments FROM release_deployment_counts ORDER BY release_id`,
    );
    const direct = await own.pool.query(sql`
      SELECT release_id, count(*)::int AS deployments FROM deployments GROUP BY release_id ORDER BY release_id`);
    expect(counts).toEqual(direct);
    expect(counts).toHaveLength(8);
    expect(counts.reduce((sum, row) => sum + row.deployments, 0)).toBeGreaterThan(60);
  });

  it('0017: deployments written after it, on top of the copied rollups, keep them as counted', async () => {
    // a rollback of a success that was there before the migration moves its failed change in the copied hour
    await own.pool.query(sql`
      INSERT INTO deployments (release_id, environment_id, status, kind, rollback_of, reason, started_at, ended_at,
                               deployed_by)
      SELECT release_id, environment_id, 'success', 'rollback', id, 'new', ended_at + interval '5 minutes',
             ended_at + interval '6 minutes', deployed_by
      FROM deployments d
      WHERE status = 'success' AND kind = 'deploy'
        AND NOT EXISTS (SELECT 1 FROM deployments rb WHERE rb.rollback_of = d.id)
      ORDER BY started_at LIMIT 2`);
    await own.pool.query(sql`
      UPDATE deployments SET status = 'failed', ended_at = started_at + interval '3 minutes'
      WHERE id IN (SELECT id FROM deployments WHERE status = 'in_progress' ORDER BY started_at LIMIT 2)`);
    await own.pool.query(sql`DELETE FROM deployments WHERE status = 'cancelled'`);
    expect(await expectMetricsAsComputed()).toBeGreaterThan(30);
  });
});
