import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { handler as createDeployment } from '../../functions/createDeployment';
import { handler as environmentHistory } from '../../functions/environmentHistory';
import { handler as repoEnvironments } from '../../functions/repoEnvironments';
import { handler as rollbackEnvironment } from '../../functions/rollbackEnvironment';
import { handler as updateEnvironment } from '../../functions/updateEnvironment';
import { createDeployment as createDeploymentDomain } from '../../lib/domain/deployments';
import { createRepo } from '../../lib/domain/orgs';
import { rollback as rollbackDomain } from '../../lib/domain/rollbacks';
import { sql } from '../../lib/infra/db';
import { environmentsOf, releaseIn } from '../helpers/deployments';
import { invoke } from '../helpers/events';
import { orgWithMembers } from '../helpers/factories';
import { ownDatabase } from '../helpers/ownDatabase';
import { usePool, type World } from '../helpers/world';

// Rolling an environment back, and an environment's history.
const pool = usePool();
const at = (minute: number) => `2026-06-01T10:${String(minute).padStart(2, '0')}:00.000Z`;

function deployAt(
  w: World,
  release: string,
  environmentId: string,
  minute: number,
  body: Record<string, unknown> = {},
) {
  return invoke(createDeployment, {
    pathParameters: { repo: w.repo.id, id: release },
    body: { environmentId, startedAt: at(minute), endedAt: at(minute), ...body },
    token: w.releaseManager.token,
  });
}

function rollback(w: World, environment: string, body: Record<string, unknown>, token = w.releaseManager.token) {
  return invoke(rollbackEnvironment, {
    path: `/api/v1/repos/${w.repo.id}/environments/${environment}/rollback`,
    pathParameters: { repo: w.repo.id, environment },
    body,
    token,
  });
}

function history(w: World, environment: string, query: Record<string, string> = {}, token = w.developer.token) {
  return invoke(environmentHistory, {
    path: `/api/v1/repos/${w.repo.id}/environments/${environment}/deployments`,
    pathParameters: { repo: w.repo.id, environment },
    query,
    token,
  });
}

async function running(w: World, environment: string): Promise<string | null> {
  const res = await invoke(repoEnvironments, { pathParameters: { repo: w.repo.id }, token: w.developer.token });
  return res.body.items.find((e: { name: string }) => e.name === environment).current?.version ?? null;
}

/** dev has run 1.0.0, then 1.1.0 (and a failed 1.2.0), so 1.1.0 runs there. */
async function devWithHistory() {
  const w = await orgWithMembers(pool);
  const envs = await environmentsOf(pool, w.org.id);
  const v1 = await releaseIn(pool, w.repo.id, w.developer.id, '1.0.0');
  const v11 = await releaseIn(pool, w.repo.id, w.developer.id, '1.1.0');
  const v12 = await releaseIn(pool, w.repo.id, w.developer.id, '1.2.0');
  const first = await deployAt(w, v1.id, envs.dev!.id, 1);
  const current = await deployAt(w, v11.id, envs.dev!.id, 2);
  const failed = await deployAt(w, v12.id, envs.dev!.id, 3, { status: 'failed' });
  return { w, envs, v1, v11, v12, first: first.body, current: current.body, failed: failed.body };
}

describe('rollback', () => {
  it('records a successful deployment of kind rollback of the release that ran before, which then runs there', async () => {
    const { w, envs, v1, current } = await devWithHistory();
    const res = await rollback(w, 'dev', { reason: 'login broken in 1.1.0' });
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`/api/v1/deployments/${res.body.id}`);
    expect(res.body).toEqual({
      id: expect.any(String),
      releaseId: v1.id,
      repoId: w.repo.id,
      version: '1.0.0',
      environment: { id: envs.dev!.id, name: 'dev' },
      status: 'success',
      kind: 'rollback',
      rollbackOf: current.id,
      reason: 'login broken in 1.1.0',
      requiredApprovals: 0,
      startedAt: expect.any(String),
      endedAt: res.body.startedAt,
      deployedBy: { id: w.releaseManager.id, name: 'rm' },
    });
    expect(await running(w, 'dev')).toBe('1.0.0');
  });

  it('goes back to `to`, by version or id, when it has succeeded there before', async () => {
    const { w, v1, v11 } = await devWithHistory();
    const v13 = await releaseIn(pool, w.repo.id, w.developer.id, '1.3.0');
    const envs = await environmentsOf(pool, w.org.id);
    await deployAt(w, v13.id, envs.dev!.id, 4);
    expect((await rollback(w, 'dev', { reason: 'x', to: 'v1.0.0' })).body.releaseId).toBe(v1.id);
    expect((await rollback(w, envs.dev!.id, { reason: 'x', to: v11.id })).body.releaseId).toBe(v11.id);
    expect(await running(w, 'dev')).toBe('1.1.0');
  });

  it.each([
    ['nothing runs there', 'stg', {}, /^Nothing of this repo runs in stg, so there is nothing to roll back\.$/],
    [
      '`to` is what runs now',
      'dev',
      { to: '1.1.0' },
      /^Release 1\.1\.0 is what runs in dev now; roll back to another\.$/,
    ],
    ['`to` never succeeded there', 'dev', { to: '1.2.0' }, /^Release 1\.2\.0 has never succeeded in dev/],
  ])('answers 409 when %s, and records nothing', async (_, environment, body, detail) => {
    const { w } = await devWithHistory();
    const before = (await history(w, environment)).body.items.length;
    const res = await rollback(w, environment, { reason: 'x', ...body });
    expect(res.status).toBe(409);
    expect(res.body.detail).toMatch(detail);
    expect((await history(w, environment)).body.items).toHaveLength(before);
  });

  it('answers 409 when no other release ran there before the current one', async () => {
    const w = await orgWithMembers(pool);
    const envs = await environmentsOf(pool, w.org.id);
    const only = await releaseIn(pool, w.repo.id, w.developer.id, '1.0.0');
    await deployAt(w, only.id, envs.dev!.id, 1);
    await deployAt(w, only.id, envs.dev!.id, 2);
    const res = await rollback(w, 'dev', { reason: 'x' });
    expect(res.status).toBe(409);
    expect(res.body.detail).toBe(
      'No release other than 1.0.0 has succeeded in dev before it, so there is nothing to roll back to.',
    );
  });

  it('answers 422 for a `to` that is not a release of the repo, 404 for an unknown environment', async () => {
    const { w } = await devWithHistory();
    const res = await rollback(w, 'dev', { reason: 'x', to: '9.9.9' });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ path: '/body/to', message: 'release 9.9.9 does not exist in this repo' }]);
    expect((await rollback(w, 'nope', { reason: 'x' })).status).toBe(404);
  });

  it('needs a reason (400)', async () => {
    const { w } = await devWithHistory();
    expect((await rollback(w, 'dev', {})).body.errors).toEqual([{ path: '/body/reason', message: 'is required' }]);
  });

  it('follows the deploy rule (a protected environment needs a release manager) but not requires nor approvals', async () => {
    const w = await orgWithMembers(pool);
    const envs = await environmentsOf(pool, w.org.id);
    // prod requires stg and needs 2 approvals from now on; 1.0.0 and 1.1.0 ran there before that
    const v1 = await releaseIn(pool, w.repo.id, w.developer.id, '1.0.0');
    const v11 = await releaseIn(pool, w.repo.id, w.developer.id, '1.1.0');
    for (const [release, minute] of [
      [v1.id, 1],
      [v11.id, 3],
    ] as const) {
      await deployAt(w, release, envs.stg!.id, minute);
      await deployAt(w, release, envs.prod!.id, minute + 1);
    }
    const gated = await invoke(updateEnvironment, {
      method: 'PATCH',
      pathParameters: { org: w.org.slug, environment: 'prod' },
      body: { requiredApprovals: 2, requires: ['stg', 'dev'] },
      token: w.releaseManager.token,
    });
    expect(gated.status).toBe(200);
    const refused = await rollback(w, 'prod', { reason: 'x' }, w.developer.token);
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toBe(
      'Deploying to protected environment prod needs the release_manager role; you are a developer in this org.',
    );
    const done = await rollback(w, 'prod', { reason: 'x' });
    expect(done.body).toMatchObject({ status: 'success', version: '1.0.0', requiredApprovals: 0 });
  });
});

describe('the history of an environment', () => {
  it('lists the repo’s deployments there newest first, rollbacks included, and nothing of other repos or environments', async () => {
    const { w, envs, first, current, failed } = await devWithHistory();
    const sibling = await createRepo(pool, w.org.slug, 'sibling');
    const theirs = await releaseIn(pool, sibling.id, w.developer.id, '5.0.0');
    await invoke(createDeployment, {
      pathParameters: { repo: sibling.id, id: theirs.id },
      body: { environmentId: envs.dev!.id },
      token: w.developer.token,
    });
    await deployAt(w, first.releaseId, envs.stg!.id, 9);
    const back = await rollback(w, 'dev', { reason: 'x' });
    const res = await history(w, 'dev');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [back.body, failed, current, first], nextCursor: null });
  });

  it('pages with a cursor and a Link header, and filters by status and kind', async () => {
    const { w, envs, v1, first, current, failed } = await devWithHistory();
    const extra = await deployAt(w, v1.id, envs.dev!.id, 0);
    const back = await rollback(w, 'dev', { reason: 'x' });
    const page1 = await history(w, 'dev', { limit: '2' });
    expect(page1.body.items).toEqual([back.body, failed]);
    expect(page1.headers.link).toBe(
      `</api/v1/repos/${w.repo.id}/environments/dev/deployments?limit=2&cursor=${page1.body.nextCursor}>; rel="next"`,
    );
    const page2 = await history(w, 'dev', { limit: '2', cursor: page1.body.nextCursor });
    expect(page2.body.items).toEqual([current, first]);
    const page3 = await history(w, 'dev', { limit: '2', cursor: page2.body.nextCursor });
    expect(page3.body).toEqual({ items: [extra.body], nextCursor: null });

    expect((await history(w, 'dev', { status: 'failed' })).body.items).toEqual([failed]);
    expect((await history(w, 'dev', { kind: 'rollback' })).body.items).toEqual([back.body]);
    expect((await history(w, envs.dev!.id, { kind: 'deploy', status: 'success' })).body.items).toEqual([
      current,
      first,
      extra.body,
    ]);
  });

  it('answers 404 for an unknown environment or to a non-member, 400 for a bad filter or cursor', async () => {
    const { w } = await devWithHistory();
    expect((await history(w, 'nope')).status).toBe(404);
    expect((await history(w, 'dev', {}, w.outsider.token)).status).toBe(404);
    expect((await history(w, 'dev', { kind: 'redeploy' })).body.errors[0].path).toBe('/query/kind');
    expect((await history(w, 'dev', { cursor: 'abc' })).body.errors[0].path).toBe('/query/cursor');
  });
});

describe('rollbacks at once', () => {
  it('are serialised per repo and environment: each replaces the deployment that was current when it ran', async () => {
    // a database of the test's own: it holds deployments against writes for a moment, which no other file may feel
    const own = await ownDatabase(inject('databaseUrl'));
    try {
      const w = await orgWithMembers(own.pool);
      const { dev } = await environmentsOf(own.pool, w.org.id);
      const manager = { id: w.repo.id, orgId: w.org.id, role: 'release_manager' as const };
      for (const [minute, version] of ['1.0.0', '1.1.0'].entries()) {
        const release = await releaseIn(own.pool, w.repo.id, w.developer.id, version);
        await createDeploymentDomain(own.pool, manager, {
          release: release.id,
          deployedBy: w.releaseManager.id,
          environmentId: dev!.id,
          startedAt: at(minute),
          endedAt: at(minute),
        });
      }
      // the rollbacks read what runs, then wait to write: were they not serialised, both would have read 1.1.0's
      const gate = new pg.Client({ connectionString: own.url });
      await gate.connect();
      const [{ pid: gatePid }] = (await gate.query('SELECT pg_backend_pid() AS pid')).rows;
      await gate.query('BEGIN');
      await gate.query('LOCK TABLE deployments IN SHARE ROW EXCLUSIVE MODE');
      const both = Promise.all(
        ['first', 'second'].map((reason) =>
          rollbackDomain(own.pool, manager, 'dev', { reason, userId: w.releaseManager.id }),
        ),
      );
      for (let i = 0; ; i++) {
        const [{ waiting }] = await own.pool.query(sql`
          SELECT count(*)::int AS waiting FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> ${gatePid}`);
        if (waiting >= 2) break;
        if (i > 3000) throw new Error('the rollbacks never both waited');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await gate.query('COMMIT');
      await gate.end();
      const [first, second] = (await both).sort((a, b) => (a.reason! < b.reason! ? -1 : 1));
      const replaced = await own.pool.query(sql`
        SELECT rollback_of FROM deployments WHERE id IN (${first!.id}, ${second!.id})`);
      expect(new Set(replaced.map((row) => row.rollback_of)).size).toBe(2);
    } finally {
      await own.drop();
    }
  });
});
