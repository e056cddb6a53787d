import type { Queryable, SQLQuery } from '@databases/pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { getArtifact, listArtifacts } from '../../lib/domain/artifacts';
import { listDeployments, listEnvironmentHistory } from '../../lib/domain/deploymentLists';
import { createDeployment, getDeployment } from '../../lib/domain/deployments';
import { listRepoEnvironments } from '../../lib/domain/environments';
import { readFeed } from '../../lib/domain/feed';
import { authenticate } from '../../lib/domain/identity';
import { deliveryMetrics } from '../../lib/domain/metrics';
import { getLatestRelease, getRelease, listReleases } from '../../lib/domain/releases';
import { repoForMember } from '../../lib/domain/repos';
import { rollback } from '../../lib/domain/rollbacks';
import { sql } from '../../lib/infra/db';
import { useWorld } from '../helpers/world';

// Every list and lookup query of lib/, run against a seeded and analysed table, must find its rows through an
// index: a sequential scan of releases or deployments is a page cost that grows with history.
const { pool, world } = useWorld();
let releaseId: string;
let deploymentId: string;
let artifactId: string;

type PlanNode = { 'Node Type': string; 'Relation Name'?: string; Plans?: PlanNode[] };

function seqScans(node: PlanNode): string[] {
  const own = node['Node Type'] === 'Seq Scan' ? [node['Relation Name'] ?? '?'] : [];
  return [...own, ...(node.Plans ?? []).flatMap(seqScans)];
}

/** A Queryable that runs each query for real and keeps the plan Postgres chose for it. */
function explaining(db: Queryable, plans: Array<{ text: string; scans: string[] }>): Queryable {
  const wrapper = {
    async query(query: SQLQuery) {
      const [row] = await db.query(sql`EXPLAIN (FORMAT JSON) ${query}`);
      const plan = (row['QUERY PLAN'] as Array<{ Plan: PlanNode }>)[0]!.Plan;
      plans.push({
        text: query.format({ escapeIdentifier: (s) => s, formatValue: () => ({ placeholder: '?', value: null }) }).text,
        scans: seqScans(plan),
      });
      return db.query(query);
    },
    async tx<T>(fn: (tx: Queryable) => Promise<T>) {
      return fn(wrapper as unknown as Queryable);
    },
  };
  return wrapper as unknown as Queryable;
}

beforeAll(async () => {
  const repo = world.repo.id;
  const user = world.releaseManager.id;
  await pool.query(sql`
    INSERT INTO releases (repo_id, version, created_by, created_at)
    SELECT ${repo}, '1.0.' || g, ${user}, now() - g * interval '1 hour' FROM generate_series(1, 5000) g`);
  // an hour apart, so that the metrics' rollups hold thousands of hours (on a few hundred rows a scan is cheapest);
  // one release in ten failed before prod, so that the metrics' restores hold rows that prod's must not read
  await pool.query(sql`
    INSERT INTO deployments (release_id, environment_id, status, started_at, ended_at, deployed_by)
    SELECT r.id, e.id, CASE WHEN r.version LIKE '%7' AND e.name <> 'prod' THEN 'failed' ELSE 'success' END::deployment_status,
           r.created_at, r.created_at + interval '1 second', ${user}
    FROM releases r CROSS JOIN environments e
    WHERE r.repo_id = ${repo} AND e.org_id = ${world.org.id}`);
  await pool.query(sql`
    INSERT INTO artifacts (repo_id, name, path, size_bytes, sha256, content_type, created_at)
    SELECT ${repo}, 'a' || g, 'x/' || g, g, repeat('a', 64), 'application/octet-stream', now() - g * interval '1 second'
    FROM generate_series(1, 3000) g`);
  await pool.query(sql`
    INSERT INTO events (type, org_id, repo_id, actor_id, resource)
    SELECT 'release.created', ${world.org.id}, ${repo}, ${user}, jsonb_build_object('n', g)
    FROM generate_series(1, 20000) g`);
  await pool.query(
    sql`ANALYZE releases; ANALYZE deployments; ANALYZE artifacts; ANALYZE environments; ANALYZE release_artifacts; ANALYZE events; ANALYZE metrics_hours; ANALYZE metrics_restores; ANALYZE metrics_first_successes`,
  );
  // the bulk insert above went through the statement-level trigger that keeps each release's deployment count
  const wrong = await pool.query(sql`
    SELECT r.id FROM releases r LEFT JOIN release_deployment_counts c ON c.release_id = r.id WHERE r.repo_id = ${repo}
      AND COALESCE(c.deployments, 0) <> (SELECT count(*) FROM deployments d WHERE d.release_id = r.id)`);
  expect(wrong).toEqual([]);
  [{ id: releaseId }] = (await pool.query(
    sql`SELECT id FROM releases WHERE repo_id = ${repo} AND version = '1.0.2500'`,
  )) as [{ id: string }];
  [{ id: deploymentId }] = (await pool.query(
    sql`SELECT id FROM deployments WHERE release_id = ${releaseId} LIMIT 1`,
  )) as [{ id: string }];
  [{ id: artifactId }] = (await pool.query(sql`SELECT id FROM artifacts WHERE repo_id = ${repo} LIMIT 1`)) as [
    { id: string },
  ];
}, 120_000);

describe('query plans over seeded tables', () => {
  it('use an index for every list and lookup, never a sequential scan of releases, deployments, events or the metrics rollups', async () => {
    const plans: Array<{ text: string; scans: string[] }> = [];
    const db = explaining(pool, plans);
    const repo = await repoForMember(db, world.repo.id, world.developer.id);
    await authenticate(db, world.developer.token);
    const first = await listReleases(db, repo.id, { limit: 20 });
    await listReleases(db, repo.id, { limit: 20, cursor: first.nextCursor! });
    const byVersion = await listReleases(db, repo.id, { limit: 20, sort: 'version' });
    await listReleases(db, repo.id, { limit: 20, sort: 'version', cursor: byVersion.nextCursor! });
    await listReleases(db, repo.id, { limit: 20, sort: 'version', version: '>=1.0.100 <1.0.200' });
    await listReleases(db, repo.id, { limit: 20, drafts: true });
    await getRelease(db, repo.id, releaseId);
    await getRelease(db, repo.id, 'v1.0.2500', { drafts: false });
    await getLatestRelease(db, repo.id, { prerelease: false });
    const deployments = await listDeployments(db, repo.id, releaseId, { limit: 20 });
    expect(deployments.items.length).toBeGreaterThan(0);
    await listDeployments(db, repo.id, releaseId, { limit: 20, environment: 'prod', status: 'success' });
    await getDeployment(db, deploymentId, world.developer.id);
    await listRepoEnvironments(db, repo, { limit: 20 });
    const history = await listEnvironmentHistory(db, repo, 'prod', { limit: 20 });
    expect(history.items).toHaveLength(20);
    await listEnvironmentHistory(db, repo, 'prod', { limit: 20, cursor: history.nextCursor! });
    await listEnvironmentHistory(db, repo, 'prod', { limit: 20, status: 'failed' });
    await listEnvironmentHistory(db, repo, 'prod', { limit: 20, kind: 'rollback' });
    await listEnvironmentHistory(db, repo, 'prod', { limit: 20, kind: 'deploy', status: 'success' });
    // the promotion rule's lookup (prod requires stg) and a rollback's lookups of what ran before
    const prod = (await db.query(sql`SELECT id FROM environments WHERE org_id = ${world.org.id} AND name = 'prod'`))[0];
    const manager = { ...repo, role: 'release_manager' as const };
    await createDeployment(db, manager, {
      release: releaseId,
      deployedBy: world.releaseManager.id,
      environmentId: prod.id,
    });
    await deliveryMetrics(db, repo, { environment: 'prod', bucket: 'week' });
    await rollback(db, manager, 'prod', { reason: 'query plans', userId: world.releaseManager.id });
    const artifacts = await listArtifacts(db, repo.id, { limit: 20 });
    await listArtifacts(db, repo.id, { limit: 20, cursor: artifacts.nextCursor! });
    await getArtifact(db, repo.id, artifactId);
    const feed = { kind: 'repo', id: repo.id, orgId: world.org.id } as const;
    const start = await readFeed(db, feed, { limit: 20 });
    expect(start.events).toHaveLength(20);
    await readFeed(db, feed, { limit: 20, after: start.nextCursor });
    await readFeed(db, feed, { limit: 20, after: start.nextCursor, types: ['deployment.created'] });
    await readFeed(db, feed, { limit: 20, after: 'now' });
    const orgFeed = { kind: 'org', id: world.org.id, orgId: world.org.id } as const;
    const orgStart = await readFeed(db, orgFeed, { limit: 20 });
    await readFeed(db, orgFeed, { limit: 20, after: orgStart.nextCursor });

    expect(plans.length).toBeGreaterThan(15);
    // the metrics' rollups too: a scan of one is every repo's hours, restores or first successes
    const growing = [
      'releases',
      'deployments',
      'events',
      'metrics_hours',
      'metrics_restores',
      'metrics_first_successes',
    ];
    const offending = plans.filter((plan) => plan.scans.some((table) => growing.includes(table)));
    expect(offending).toEqual([]);
  });
});
