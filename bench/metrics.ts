/**
 * The metrics bench: GET /repos/{repo}/metrics's query (lib/domain/metrics) over a 90-day window at 1M
 * deployments, against a reference measured in the same run and the same process: one page of the environment's
 * history (lib/domain/deployments listEnvironmentHistory, 20 rows), a list page on the same table. The two are
 * timed in turn, so whatever else the machine does weighs on both; the target (under 50 ms p50) is the metrics
 * query's own p50, given beside the ratio.
 *
 * Two repos of the bench org hold 1M deployments each:
 * - `spread`: 1M deployments over three years (20,000 releases, 50 deployments each across dev, stg and prod,
 *   every 20th failed, two rollbacks per release), so a 90-day window holds what 90 days hold (~27,000 in prod).
 *   Seeded here, once, and kept by --reuse like the rest of the bench data.
 * - `big` (bench/seed.ts): its 1M deployments all fall within two days, so a 90-day window holds every one of
 *   them (~330,000 in prod): the worst case, reported beside it.
 *
 * What migration 0017's triggers cost the writes is measured beside them: a deployment recorded and then finished, in
 * a scratch repo of the bench org (removed afterwards), with the triggers and, as its reference, without any trigger.
 */
import createConnectionPool from '@databases/pg';
import pg from 'pg';
import { listEnvironmentHistory } from '../lib/domain/deploymentLists';
import { deliveryMetrics } from '../lib/domain/metrics';
import { createRepo } from '../lib/domain/orgs';
import { sql } from '../lib/infra/db';
import { BENCH_ORG, type Seeded } from './seed';

const SPREAD = { name: 'spread', deploymentsPerRelease: 50, days: 1095 };
const WINDOW_DAYS = 90;
const DAY_MS = 24 * 3600 * 1000;

export interface Timing {
  runs: number;
  p50: number;
  p99: number;
}

export interface MetricsCase {
  name: string;
  repo: string;
  environment: string;
  from: string;
  to: string;
  /** deployments of the repo (all environments), and those of the environment within the window */
  repoDeployments: number;
  inWindow: number;
  metrics: Timing;
  reference: Timing;
  /** metrics p50 / reference p50 */
  ratio: number;
  /** null for the write cost, which has no target */
  targetMs: number | null;
  pass: boolean | null;
}

/**
 * The `spread` repo: 1M deployments over three years ending a day ago, seeded in bulk if it is not there yet.
 * `releases` × 50 deployments (20,000 releases: 1M). The k-th deployment of a release goes to dev, stg, prod in turn, ~1.5 minutes apart; every 20th failed;
 * the 24th and 49th of each release (prod and dev) are rollbacks, to the release before, of the deployment
 * three before them in the same environment.
 */
export async function seedSpread(databaseUrl: string, releases: number, log: (line: string) => void): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'gitweave-releases bench seed' });
  await client.connect();
  const pool = createConnectionPool({ connectionString: databaseUrl, bigIntMode: 'number' });
  try {
    const { rows: found } = await client.query<{ id: string; n: number }>(
      `SELECT p.id, (SELECT count(*) FROM deployments d WHERE d.repo_id = p.id)::int AS n
       FROM repos p JOIN orgs o ON o.id = p.org_id WHERE o.slug = $1 AND p.name = $2`,
      [BENCH_ORG, SPREAD.name],
    );
    const total = releases * SPREAD.deploymentsPerRelease;
    if (found[0]?.n === total) return log(`reusing the ${SPREAD.name} repo (${total} deployments)`);
    const started = Date.now();
    log(`seeding the ${SPREAD.name} repo: ${releases} releases, ${total} deployments over ${SPREAD.days} days`);
    const repoId = found[0]?.id ?? (await createRepo(pool, BENCH_ORG, SPREAD.name)).id;
    const { rows: envs } = await client.query<{ id: string }>(
      `SELECT e.id FROM environments e JOIN orgs o ON o.id = e.org_id WHERE o.slug = $1 AND e.name IN ('dev', 'stg', 'prod')
       ORDER BY e.position`,
      [BENCH_ORG],
    );
    const seeder = (
      await client.query<{ id: string }>(`SELECT id FROM users WHERE name = 'gitweave-bench-seeder' LIMIT 1`)
    ).rows[0]?.id;
    if (!seeder) throw new Error('the bench seeder user is missing: seed the bench data first');
    await client.query('BEGIN');
    await client.query('DELETE FROM deployments WHERE repo_id = $1', [repoId]);
    await client.query('DELETE FROM releases WHERE repo_id = $1', [repoId]);
    await client.query(
      `INSERT INTO releases (repo_id, version, notes, created_by, created_at)
       SELECT $1, (i / 10000) || '.' || (i / 100 % 100) || '.' || (i % 100), 'Release ' || i, $2,
              now() - interval '1 day' - $4::int * interval '1 day' + (i - 1) * ($4::int * interval '1 day' / $3::int)
       FROM generate_series(1, $3::int) i`,
      [repoId, seeder, releases, SPREAD.days],
    );
    await client.query(
      `CREATE TEMP TABLE seed_spread_releases AS
       SELECT id, created_at, (row_number() OVER (ORDER BY created_at, id) - 1)::int AS ord FROM releases WHERE repo_id = $1`,
      [repoId],
    );
    await client.query('CREATE UNIQUE INDEX ON seed_spread_releases (ord)');
    await client.query(
      `CREATE TEMP TABLE seed_spread AS SELECT g, gen_random_uuid() AS id FROM generate_series(0, $1::int - 1) g`,
      [total],
    );
    await client.query('CREATE UNIQUE INDEX ON seed_spread (g)');
    await client.query(
      `INSERT INTO deployments (id, release_id, environment_id, status, started_at, ended_at, deployed_by, kind, rollback_of, reason)
       SELECT s.id, CASE WHEN back.id IS NULL THEN r.id ELSE prev.id END,
              ($2::uuid[])[s.g % $3::int % 3 + 1],
              (CASE WHEN s.g % 20 = 7 THEN 'failed' ELSE 'success' END)::deployment_status,
              r.created_at + (s.g % $3::int + 1) * ($4::int * interval '1 day' / $5::int / ($3::int + 1)),
              r.created_at + (s.g % $3::int + 1) * ($4::int * interval '1 day' / $5::int / ($3::int + 1)) + interval '40 seconds',
              $1,
              (CASE WHEN back.id IS NULL THEN 'deploy' ELSE 'rollback' END)::deployment_kind,
              back.id, CASE WHEN back.id IS NOT NULL THEN 'bench: rolled back' END
       FROM seed_spread s
       JOIN seed_spread_releases r ON r.ord = s.g / $3::int
       LEFT JOIN seed_spread_releases prev ON prev.ord = s.g / $3::int - 1
       LEFT JOIN seed_spread back ON s.g % 25 = 23 AND s.g >= $3::int AND back.g = s.g - 3`,
      [seeder, envs.map((e) => e.id), SPREAD.deploymentsPerRelease, SPREAD.days, releases],
    );
    await client.query('DROP TABLE seed_spread');
    await client.query('DROP TABLE seed_spread_releases');
    await client.query('COMMIT');
    await client.query('VACUUM ANALYZE deployments');
    await client.query('VACUUM ANALYZE releases');
    log(`  seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await pool.dispose();
    await client.end();
  }
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
const round = (ms: number) => Math.round(ms * 100) / 100;

function timing(samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  return { runs: samples.length, p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)) };
}

/**
 * Times the metrics query of `prod` over the 90 days that end at each repo's newest deployment there, `runs`
 * times (a tenth of that for the worst case) after `warmup` untimed runs, each run followed by the reference page (its keyset rotating over pages).
 */
export async function measureMetrics(
  databaseUrl: string,
  data: Seeded,
  options: { runs: number; warmup: number; log: (line: string) => void },
): Promise<MetricsCase[]> {
  const pool = createConnectionPool({ connectionString: databaseUrl, bigIntMode: 'number', poolSize: 2 });
  const cases: MetricsCase[] = [];
  try {
    const [spread] = await pool.query(
      sql`SELECT p.id FROM repos p WHERE p.org_id = ${data.orgId} AND p.name = ${SPREAD.name}`,
    );
    const repos = [
      { name: 'spread: deployments over 3 years', repo: spread?.id as string, runs: options.runs },
      // a tenth of the runs: each reads the whole history
      {
        name: 'big: deployments within 2 days (worst case)',
        repo: data.repos.big,
        runs: Math.max(10, Math.round(options.runs / 10)),
      },
    ];
    for (const { name, repo, runs } of repos) {
      const access = { id: repo, orgId: data.orgId, role: 'release_manager' as const };
      const [row] = await pool.query(sql`
        SELECT max(d.started_at) AS newest, (SELECT count(*) FROM deployments WHERE repo_id = ${repo})::int AS total
        FROM deployments d JOIN environments e ON e.id = d.environment_id
        WHERE d.repo_id = ${repo} AND e.name = 'prod'`);
      const to = new Date(new Date(row.newest).getTime() + 1000);
      const from = new Date(to.getTime() - WINDOW_DAYS * DAY_MS);
      const [count] = await pool.query(sql`
        SELECT count(*)::int AS n FROM deployments d JOIN environments e ON e.id = d.environment_id
        WHERE d.repo_id = ${repo} AND e.name = 'prod' AND d.started_at >= ${from} AND d.started_at < ${to}`);
      const query = { environment: 'prod', from: from.toISOString(), to: to.toISOString(), bucket: 'week' as const };
      const metricsTimes: number[] = [];
      const referenceTimes: number[] = [];
      let cursor: string | undefined;
      const warmup = Math.min(options.warmup, Math.ceil(runs / 5));
      for (let i = 0; i < warmup + runs; i += 1) {
        let t = performance.now();
        await deliveryMetrics(pool, access, query);
        const m = performance.now() - t;
        t = performance.now();
        const page = await listEnvironmentHistory(pool, access, 'prod', { limit: 20, ...(cursor ? { cursor } : {}) });
        const r = performance.now() - t;
        // ten pages deep, then from the top again
        cursor = i % 10 === 9 ? undefined : (page.nextCursor ?? undefined);
        if (i < warmup) continue;
        metricsTimes.push(m);
        referenceTimes.push(r);
      }
      const metrics = timing(metricsTimes);
      const reference = timing(referenceTimes);
      const result: MetricsCase = {
        name: name.replace(': ', `: ${row.total.toLocaleString('en')} `),
        repo,
        environment: 'prod',
        from: query.from,
        to: query.to,
        repoDeployments: row.total,
        inWindow: count.n,
        metrics,
        reference,
        ratio: Math.round((metrics.p50 / reference.p50) * 10) / 10,
        targetMs: 50,
        pass: metrics.p50 < 50,
      };
      options.log(
        `metrics ${result.name}: ${count.n} deployments in prod in the window; metrics p50 ${metrics.p50} ms, p99 ` +
          `${metrics.p99} ms; history page p50 ${reference.p50} ms, p99 ${reference.p99} ms; ratio ${result.ratio}`,
      );
      cases.push(result);
    }
  } finally {
    await pool.dispose();
  }
  const writes = await measureWrites(databaseUrl, data, options);
  if (writes) cases.push(writes);
  return cases;
}

/**
 * A deployment inserted in progress and then finished (failed one time in twenty), each in its own transaction, on
 * two connections in turn: one as the API writes, one with session_replication_role = replica, which fires no
 * trigger (so the reference lacks 0006's and 0007's too, and the ratio overstates 0017's share). Needs a superuser,
 * as the embedded bench cluster's is; skipped otherwise.
 */
async function measureWrites(
  databaseUrl: string,
  data: Seeded,
  options: { runs: number; warmup: number; log: (line: string) => void },
): Promise<MetricsCase | undefined> {
  const withTriggers = new pg.Client({ connectionString: databaseUrl, application_name: 'gitweave-releases bench' });
  const without = new pg.Client({ connectionString: databaseUrl, application_name: 'gitweave-releases bench' });
  await withTriggers.connect();
  await without.connect();
  let repoId: string | undefined;
  try {
    try {
      await without.query('SET session_replication_role = replica');
    } catch {
      options.log('metrics writes: skipped (session_replication_role needs a superuser)');
      return undefined;
    }
    const one = async (client: pg.Client, text: string, values: unknown[]) =>
      (await client.query(text, values)).rows[0];
    const env = await one(withTriggers, `SELECT id FROM environments WHERE org_id = $1 AND name = 'prod'`, [
      data.orgId,
    ]);
    const user = await one(withTriggers, `SELECT id FROM users WHERE name = 'gitweave-bench-seeder' LIMIT 1`, []);
    repoId = (
      await one(withTriggers, `INSERT INTO repos (org_id, name) VALUES ($1, 'metrics-writes') RETURNING id`, [
        data.orgId,
      ])
    ).id as string;
    const release = await one(
      withTriggers,
      `INSERT INTO releases (repo_id, version, created_by) VALUES ($1, '1.0.0', $2) RETURNING id`,
      [repoId, user.id],
    );
    const times = { with: [] as number[], without: [] as number[] };
    const warmup = Math.min(options.warmup, Math.ceil(options.runs / 5));
    for (let i = 0; i < warmup + options.runs; i += 1) {
      // in turn, each first every other time
      const order = i % 2 ? (['with', 'without'] as const) : (['without', 'with'] as const);
      for (const mode of order) {
        const client = mode === 'with' ? withTriggers : without;
        const t = performance.now();
        const { id } = await one(
          client,
          `INSERT INTO deployments (release_id, repo_id, environment_id, status, started_at, deployed_by)
           VALUES ($1, $2, $3, 'in_progress', now(), $4) RETURNING id`,
          [release.id, repoId, env.id, user.id],
        );
        await client.query(`UPDATE deployments SET status = $2, ended_at = now() WHERE id = $1`, [
          id,
          i % 20 === 7 ? 'failed' : 'success',
        ]);
        if (i >= warmup) times[mode].push(performance.now() - t);
      }
    }
    const metrics = timing(times.with);
    const reference = timing(times.without);
    const ratio = Math.round((metrics.p50 / reference.p50) * 10) / 10;
    options.log(
      `metrics writes: a deployment and its status change p50 ${metrics.p50} ms, p99 ${metrics.p99} ms with the ` +
        `triggers; without any trigger p50 ${reference.p50} ms, p99 ${reference.p99} ms; ratio ${ratio}`,
    );
    return {
      name: 'writes: a deployment inserted, then finished (reference: no trigger)',
      repo: repoId,
      environment: 'prod',
      from: '',
      to: '',
      repoDeployments: 2 * options.runs,
      inWindow: 0,
      metrics,
      reference,
      ratio,
      targetMs: null,
      pass: null,
    };
  } finally {
    if (repoId) {
      // the scratch repo and what the triggers kept for it, so that --reuse finds the bench data as it was
      await withTriggers.query('DELETE FROM deployments WHERE repo_id = $1', [repoId]);
      for (const table of ['metrics_hours', 'metrics_restores', 'metrics_first_successes']) {
        await withTriggers.query(`DELETE FROM ${table} WHERE repo_id = $1`, [repoId]);
      }
      await withTriggers.query('DELETE FROM releases WHERE repo_id = $1', [repoId]);
      await withTriggers.query('DELETE FROM events WHERE repo_id = $1', [repoId]);
      await withTriggers.query('DELETE FROM repos WHERE id = $1', [repoId]);
    }
    await withTriggers.end();
    await without.end();
  }
}

/** The metrics cases as a Markdown table. */
export function metricsMarkdown(cases: MetricsCase[]): string {
  return [
    '## Delivery metrics query: 90-day window, prod, weekly buckets',
    '',
    '| data | in window | metrics p50 / p99 (ms) | history page p50 / p99 (ms) | ratio (p50) | target p50 < 50 ms |',
    '|---|---:|---:|---:|---:|---|',
    ...cases.map(
      (c) =>
        `| ${c.name} | ${c.inWindow.toLocaleString('en')} | ${c.metrics.p50} / ${c.metrics.p99} | ` +
        `${c.reference.p50} / ${c.reference.p99} | ${c.ratio} | ${c.pass === null ? 'n/a' : c.pass ? 'met' : 'missed'} |`,
    ),
  ].join('\n');
}
