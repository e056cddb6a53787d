import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { handler as createArtifact } from '../../functions/createArtifact';
import { handler as createDeployment } from '../../functions/createDeployment';
import { handler as createEnvironment } from '../../functions/createEnvironment';
import { handler as reviewDeployment } from '../../functions/reviewDeployment';
import { handler as rollbackEnvironment } from '../../functions/rollbackEnvironment';
import { createDeployment as recordDeployment } from '../../lib/domain/deployments';
import { updateEnvironment } from '../../lib/domain/environments';
import { createUser } from '../../lib/domain/orgs';
import { sql } from '../../lib/infra/db';
import { environmentsOf, releaseIn } from '../helpers/deployments';
import { type EventOptions, invoke } from '../helpers/events';
import { writeBuildFile } from '../helpers/factories';
import { useWorld } from '../helpers/world';

// docs/api.md, Safe retries: "Every POST accepts an Idempotency-Key header" and "A 5xx is not kept".
const { pool, world } = useWorld();

/** Rows of `table` in the fixture org only, so that other test files writing at the same time do not count. */
async function count(table: 'deployments' | 'environments' | 'artifacts'): Promise<number> {
  const queries = {
    deployments: sql`SELECT count(*)::int AS n FROM deployments d JOIN releases r ON r.id = d.release_id WHERE r.repo_id = ${world.repo.id}`,
    environments: sql`SELECT count(*)::int AS n FROM environments WHERE org_id = ${world.org.id}`,
    artifacts: sql`SELECT count(*)::int AS n FROM artifacts WHERE repo_id = ${world.repo.id}`,
  };
  const [row] = await pool.query(queries[table]);
  return row!.n;
}

describe('Idempotency-Key on the POST endpoints other than createRelease', () => {
  it.each([
    ['createDeployment', 'deployments'],
    ['createEnvironment', 'environments'],
    ['createArtifact', 'artifacts'],
  ] as const)('%s answers a repeat with the first response, replayed, and writes once', async (name, table) => {
    const handlers = { createDeployment, createEnvironment, createArtifact };
    const events: Record<typeof name, () => Promise<EventOptions>> = {
      createDeployment: async () => {
        const release = await releaseIn(pool, world.repo.id, world.releaseManager.id);
        const dev = (await environmentsOf(pool, world.org.id)).dev!;
        return { pathParameters: { repo: world.repo.id, id: release.id }, body: { environmentId: dev.id } };
      },
      createEnvironment: async () => ({
        pathParameters: { org: world.org.slug },
        body: { name: `qa-${randomBytes(4).toString('hex')}` },
      }),
      createArtifact: async () => {
        const file = writeBuildFile(world.repo.id, `idem/${randomUUID()}`, 'built');
        return { pathParameters: { repo: world.repo.id }, body: { name: 'app.tgz', path: file } };
      },
    };
    const event = {
      ...(await events[name]()),
      token: world.releaseManager.token,
      headers: { 'idempotency-key': randomUUID() },
    };
    const before = await count(table);
    const first = await invoke(handlers[name], event);
    const again = await invoke(handlers[name], event);
    expect(first.status).toBe(201);
    expect({ status: again.status, body: again.body, replayed: again.headers['idempotent-replayed'] }).toEqual({
      status: 201,
      body: first.body,
      replayed: 'true',
    });
    expect(await count(table)).toBe(before + 1);
  });
});

describe('Idempotency-Key on the pipeline writes', () => {
  it('a repeated rollback answers the first rollback, replayed, and records one', async () => {
    const dev = (await environmentsOf(pool, world.org.id)).dev!;
    const access = { id: world.repo.id, orgId: world.org.id, role: 'release_manager' as const };
    for (const hour of [2, 1]) {
      const release = await releaseIn(pool, world.repo.id, world.releaseManager.id);
      const at = new Date(Date.now() - hour * 3_600_000).toISOString();
      await recordDeployment(pool, access, {
        release: release.id,
        deployedBy: world.releaseManager.id,
        environmentId: dev.id,
        startedAt: at,
        endedAt: at,
      });
    }
    const event = {
      pathParameters: { repo: world.repo.id, environment: 'dev' },
      body: { reason: 'retried' },
      token: world.releaseManager.token,
      headers: { 'idempotency-key': randomUUID() },
    };
    const before = await count('deployments');
    const first = await invoke(rollbackEnvironment, event);
    const again = await invoke(rollbackEnvironment, event);
    expect(first.status).toBe(201);
    expect({ status: again.status, body: again.body, replayed: again.headers['idempotent-replayed'] }).toEqual({
      status: 201,
      body: first.body,
      replayed: 'true',
    });
    expect(await count('deployments')).toBe(before + 1);
  });

  it('a repeated review answers the first review, replayed, where a new request would be a 409', async () => {
    const org = { id: world.org.id, slug: world.org.slug, role: 'release_manager' as const };
    await updateEnvironment(pool, org, 'stg', { requiredApprovals: 2 }, world.releaseManager.id);
    const reviewer = await createUser(pool, 'reviewer', { orgSlug: world.org.slug, role: 'release_manager' });
    const release = await releaseIn(pool, world.repo.id, world.releaseManager.id);
    const stg = (await environmentsOf(pool, world.org.id)).stg!;
    const waiting = await recordDeployment(
      pool,
      { id: world.repo.id, orgId: world.org.id, role: 'release_manager' },
      { release: release.id, deployedBy: world.releaseManager.id, environmentId: stg.id },
    );
    const event = {
      pathParameters: { id: waiting.id },
      body: { decision: 'approve' },
      token: reviewer.token,
      headers: { 'idempotency-key': randomUUID() },
    };
    const first = await invoke(reviewDeployment, event);
    const again = await invoke(reviewDeployment, event);
    expect(first.status).toBe(201);
    expect({ status: again.status, body: again.body, replayed: again.headers['idempotent-replayed'] }).toEqual({
      status: 201,
      body: first.body,
      replayed: 'true',
    });
    const fresh = await invoke(reviewDeployment, { ...event, headers: { 'idempotency-key': randomUUID() } });
    expect(fresh.status).toBe(409);
  });
});

describe('a 5xx answer to a request with an Idempotency-Key', () => {
  it('is not kept: the retry with the same key runs again and its answer is not a replay', async () => {
    // a real fault on the volume: a file where the repo's upload folder must be makes the upload fail
    const store = path.join(inject('artifactsDir'), 'repos', world.repo.id);
    fs.mkdirSync(path.dirname(store), { recursive: true });
    fs.rmSync(store, { recursive: true, force: true });
    fs.writeFileSync(store, 'in the way');
    const event = {
      pathParameters: { repo: world.repo.id },
      query: { name: 'app.bin' },
      body: randomBytes(32),
      token: world.releaseManager.token,
      headers: { 'idempotency-key': randomUUID() },
    };
    const failed = await invoke(createArtifact, event);
    expect(failed.status).toBeGreaterThanOrEqual(500);
    fs.rmSync(store);
    const retried = await invoke(createArtifact, event);
    expect({ status: retried.status, replayed: retried.headers['idempotent-replayed'] }).toEqual({
      status: 201,
      replayed: undefined,
    });
  });
});
