import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import createConnectionPool from '@databases/pg';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { handler as listReleases } from '../../functions/listReleases';
import { authenticate, hashToken } from '../../lib/domain/identity';
import { bootstrap } from '../../lib/domain/orgs';
import { config } from '../../lib/infra/config';
import { sql } from '../../lib/infra/db';
import { migrate } from '../../scripts/lib/migrate';
import { invoke } from '../helpers/events';
import { orgWithMembers } from '../helpers/factories';
import { usePool } from '../helpers/world';

const pool = usePool();

/** A database of this test's own on the run's server, so that "empty database" means empty. */
async function withFreshDatabase<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const name = `gw_fresh_${randomBytes(4).toString('hex')}`;
  const server = new URL(inject('databaseUrl'));
  const admin = new pg.Client({ connectionString: server.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  try {
    const url = new URL(server.toString());
    url.pathname = `/${name}`;
    return await fn(url.toString());
  } finally {
    await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    await admin.end();
  }
}

describe('bootstrap', () => {
  it('on an empty database creates org default with dev, stg, prod, repo demo and an admin release manager, once', async () => {
    await withFreshDatabase(async (url) => {
      await Promise.all([migrate(url), migrate(url)]);
      const fresh = createConnectionPool({ connectionString: url, bigIntMode: 'number' });
      try {
        const [first, second] = await Promise.all([bootstrap(fresh), bootstrap(fresh)]);
        const made = first ?? second;
        expect([first, second].filter(Boolean)).toHaveLength(1);
        expect(made).toEqual({
          token: expect.stringMatching(/^gwr_/),
          userId: expect.any(String),
          orgId: expect.any(String),
          repoId: expect.any(String),
        });
        const envs = await fresh.query(
          sql`SELECT name, protected, position FROM environments WHERE org_id = ${made!.orgId} ORDER BY name`,
        );
        expect(envs).toEqual([
          { name: 'dev', protected: false, position: 1 },
          { name: 'prod', protected: true, position: 3 },
          { name: 'stg', protected: true, position: 2 },
        ]);
        const requirements = await fresh.query(sql`
          SELECT e.name, r.name AS requires FROM environment_requirements q
          JOIN environments e ON e.id = q.environment_id JOIN environments r ON r.id = q.required_environment_id
          WHERE e.org_id = ${made!.orgId}`);
        expect(requirements).toEqual([{ name: 'prod', requires: 'stg' }]);
        const [member] = await fresh.query(sql`SELECT role FROM memberships WHERE user_id = ${made!.userId}`);
        expect(member).toEqual({ role: 'release_manager' });
        expect(await authenticate(fresh, made!.token)).toEqual({
          user: {
            id: made!.userId,
            name: 'admin',
            roles: new Map([[made!.orgId, 'release_manager']]),
            token: { id: expect.any(String), scopes: ['read', 'release', 'deploy', 'admin'], expiresAt: null },
          },
        });
        expect(await bootstrap(fresh)).toBeNull();
      } finally {
        await fresh.dispose();
      }
    });
  });
});

describe('tokens', () => {
  it('are stored only as their SHA-256 hash', async () => {
    const world = await orgWithMembers(pool);
    const rows = await pool.query(sql`SELECT token_hash FROM api_tokens WHERE user_id = ${world.developer.id}`);
    expect(rows).toEqual([{ token_hash: hashToken(world.developer.token) }]);
    const [{ n }] = await pool.query(
      sql`SELECT count(*)::int AS n FROM api_tokens WHERE token_hash::text LIKE ${`%${world.developer.token}%`}`,
    );
    expect(n).toBe(0);
  });

  it('stop working once revoked, within AUTH_CACHE_TTL_MS where the process does not listen for changes (Lambda)', async () => {
    const world = await orgWithMembers(pool);
    const call = () => invoke(listReleases, { pathParameters: { repo: world.repo.id }, token: world.developer.token });
    const lifetime = config().authCacheTtlMs;
    // long enough that the second call surely comes within it, however loaded the machine
    config().authCacheTtlMs = 2_000;
    try {
      expect((await call()).status).toBe(200);
      // straight in the database: revokeToken would wait for the answers of listening servers, this is about a process
      // that does not listen
      await pool.query(
        sql`UPDATE api_tokens SET revoked_at = now() WHERE token_hash = ${hashToken(world.developer.token)}`,
      );
      // nothing told this process: the identity it cached a moment ago still holds, for at most the lifetime
      expect((await call()).status).toBe(200);
      // then, past the lifetime, the revoke holds
      let res = await call();
      for (let i = 0; res.status === 200 && i < 100; i++) {
        await sleep(100);
        res = await call();
      }
      expect(res.status).toBe(401);
      expect(res.body.detail).toBe('The API token is not valid, or has been revoked.');
    } finally {
      config().authCacheTtlMs = lifetime;
    }
  });
});
