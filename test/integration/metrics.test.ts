import { describe, expect, it } from 'vitest';
import { handler as createDeployment } from '../../functions/createDeployment';
import { handler as deliveryMetrics } from '../../functions/deliveryMetrics';
import { handler as rollbackEnvironment } from '../../functions/rollbackEnvironment';
import { createRepo } from '../../lib/domain/orgs';
import { sql } from '../../lib/infra/db';
import { environmentsOf, releaseIn } from '../helpers/deployments';
import { invoke } from '../helpers/events';
import { orgWithMembers } from '../helpers/factories';
import { usePool, type World } from '../helpers/world';

// Delivery metrics of a repo in one environment, computed in SQL.
const pool = usePool();
const day = (d: number, hour = 12) =>
  `2026-03-${String(d).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00.000Z`;

function metrics(w: World, query: Record<string, string>, token = w.developer.token) {
  return invoke(deliveryMetrics, { pathParameters: { repo: w.repo.id }, query, token });
}

function deployAt(
  w: World,
  release: string,
  environmentId: string,
  startedAt: string,
  body: Record<string, unknown> = {},
) {
  return invoke(createDeployment, {
    pathParameters: { repo: w.repo.id, id: release },
    body: { environmentId, startedAt, endedAt: startedAt, ...body },
    token: w.releaseManager.token,
  });
}

/**
 * Releases created on March 1st; dev sees 1.0.0 on the 2nd, 1.1.0 fail on the 3rd then succeed on the 4th, 1.2.0 on
 * the 5th, rolled back on the 6th. `w` and its repo default to a new org's.
 */
async function history(world?: World) {
  const w = world ?? (await orgWithMembers(pool));
  const dev = (await environmentsOf(pool, w.org.id)).dev!;
  const created = async (version: string) => {
    const release = await releaseIn(pool, w.repo.id, w.developer.id, version);
    await pool.query(sql`UPDATE releases SET created_at = ${day(1, 0)} WHERE id = ${release.id}`);
    return release;
  };
  const [v1, v11, v12] = [await created('1.0.0'), await created('1.1.0'), await created('1.2.0')];
  await deployAt(w, v1.id, dev.id, day(2));
  await deployAt(w, v11.id, dev.id, day(3), { status: 'failed' });
  await deployAt(w, v11.id, dev.id, day(4));
  const bad = await deployAt(w, v12.id, dev.id, day(5));
  const back = await invoke(rollbackEnvironment, {
    pathParameters: { repo: w.repo.id, environment: 'dev' },
    body: { reason: 'x' },
    token: w.releaseManager.token,
  });
  // the rollback happened on the 6th at noon, as far as the metrics are concerned
  await pool.query(sql`UPDATE deployments SET started_at = ${day(6)}, ended_at = ${day(6)} WHERE id = ${back.body.id}`);
  return { w, dev, bad: bad.body };
}

describe('delivery metrics', () => {
  it('counts per day and computes frequency, change failure rate, time to restore and lead time', async () => {
    const { w, dev } = await history();
    const res = await metrics(w, { environment: 'dev', from: day(2, 0), to: day(7, 0) });
    expect(res.status).toBe(200);
    const hours = (h: number) => h * 3600;
    expect(res.body).toEqual({
      environment: { id: dev.id, name: 'dev' },
      from: day(2, 0),
      to: day(7, 0),
      bucket: 'day',
      buckets: [
        { start: day(2, 0), deployments: 1, successes: 1, failures: 0, rollbacks: 0 },
        { start: day(3, 0), deployments: 1, successes: 0, failures: 1, rollbacks: 0 },
        { start: day(4, 0), deployments: 1, successes: 1, failures: 0, rollbacks: 0 },
        { start: day(5, 0), deployments: 1, successes: 1, failures: 0, rollbacks: 0 },
        { start: day(6, 0), deployments: 1, successes: 1, failures: 0, rollbacks: 1 },
      ],
      // 4 successes (the rollback is one) in 5 days
      deploymentFrequency: 0.8,
      // of 4 finished deployments, 1.1.0 failed once and 1.2.0 was rolled back
      changeFailureRate: 0.5,
      // the failure on the 3rd was restored on the 4th, the rolled-back 1.2.0 on the 6th: 24 h each
      timeToRestore: { count: 2, medianSeconds: hours(24), p90Seconds: hours(24) },
      // from March 1st 00:00 to the first success: 1.0.0 on the 2nd, 1.1.0 on the 4th, 1.2.0 on the 5th, at noon
      leadTime: { count: 3, medianSeconds: hours(84), p90Seconds: expect.closeTo(hours(84) + 0.8 * hours(24), 3) },
    });
  });

  it("counts only the repo's own deployments: another repo of the org, deploying to the same environment, is apart", async () => {
    const { w } = await history();
    // the same history in a second repo of the org, in the same environment, a day earlier
    const other = { ...w, repo: await createRepo(pool, w.org.slug, 'other') };
    const { dev } = await history(other);
    await pool.query(sql`
      UPDATE deployments SET started_at = started_at - interval '1 day', ended_at = ended_at - interval '1 day'
      WHERE repo_id = ${other.repo.id}`);
    const window = { environment: 'dev', from: day(1, 0), to: day(7, 0) };
    const ours = await metrics(w, window);
    expect(ours.body).toMatchObject({
      environment: { id: dev.id, name: 'dev' },
      deploymentFrequency: 4 / 6,
      changeFailureRate: 0.5,
      timeToRestore: { count: 2, medianSeconds: 24 * 3600, p90Seconds: 24 * 3600 },
      leadTime: { count: 3, medianSeconds: 84 * 3600 },
    });
    expect(ours.body.buckets.map((b: { deployments: number }) => b.deployments)).toEqual([0, 1, 1, 1, 1, 1]);
    // and the other repo sees its own
    const theirs = await metrics(other, window);
    expect(theirs.body.buckets.map((b: { deployments: number }) => b.deployments)).toEqual([1, 1, 1, 1, 1, 0]);
    expect(theirs.body.leadTime).toMatchObject({ count: 3, medianSeconds: 60 * 3600 });
    expect(theirs.body.timeToRestore.count).toBe(2);
  });

  it('groups by ISO week from Monday, and a window without deployments has nulls, not zeros, for rates', async () => {
    const { w } = await history();
    const weekly = await metrics(w, { environment: 'dev', from: day(1, 0), to: day(15, 0), bucket: 'week' });
    expect(weekly.body.buckets.map((b: { start: string; deployments: number }) => [b.start, b.deployments])).toEqual([
      ['2026-02-23T00:00:00.000Z', 0],
      ['2026-03-02T00:00:00.000Z', 5],
      ['2026-03-09T00:00:00.000Z', 0],
    ]);
    const empty = await metrics(w, { environment: 'stg', from: day(1, 0), to: day(15, 0) });
    expect(empty.body).toMatchObject({
      deploymentFrequency: 0,
      changeFailureRate: null,
      timeToRestore: { count: 0, medianSeconds: null, p90Seconds: null },
      leadTime: { count: 0, medianSeconds: null, p90Seconds: null },
    });
    expect(empty.body.buckets).toHaveLength(14);
  });

  it('answers 400 for a window that is reversed or longer than a year, 404 for an unknown environment or a non-member', async () => {
    const w = await orgWithMembers(pool);
    expect((await metrics(w, { environment: 'dev', from: day(5), to: day(4) })).body.errors).toEqual([
      { path: '/query/from', message: 'must be before to' },
    ]);
    expect((await metrics(w, { environment: 'dev', from: '2024-01-01T00:00:00Z', to: day(4) })).status).toBe(400);
    expect((await metrics(w, {})).body.errors[0].path).toBe('/query/environment');
    expect((await metrics(w, { environment: 'nope' })).status).toBe(404);
    expect((await metrics(w, { environment: 'dev' }, w.outsider.token)).status).toBe(404);
  });
});
