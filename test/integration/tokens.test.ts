import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { handler as createDeployment } from '../../functions/createDeployment';
import { handler as createEnvironment } from '../../functions/createEnvironment';
import { handler as createRelease } from '../../functions/createRelease';
import { handler as createToken } from '../../functions/createToken';
import { handler as deleteToken } from '../../functions/deleteToken';
import { handler as getUser } from '../../functions/getUser';
import { handler as listReleases } from '../../functions/listReleases';
import { handler as listTokens } from '../../functions/listTokens';
import { hashToken } from '../../lib/domain/identity';
import { config } from '../../lib/infra/config';
import { sql } from '../../lib/infra/db';
import type { Scope } from '../../schemas/tokens';
import { environmentsOf, releaseIn } from '../helpers/deployments';
import { invoke } from '../helpers/events';
import { tokenWith } from '../helpers/factories';
import { useWorld } from '../helpers/world';

const { pool, world } = useWorld();

const iso = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
const HOUR = 3_600_000;
const inHours = (hours: number) => new Date(Date.now() + hours * HOUR);

function issue(body: unknown, token: string) {
  return invoke(createToken, { path: '/api/v1/tokens', body, token });
}

function list(token: string, query: Record<string, string> = {}) {
  return invoke(listTokens, { path: '/api/v1/tokens', query, token });
}

function revoke(id: string, token: string) {
  return invoke(deleteToken, { method: 'DELETE', path: `/api/v1/tokens/${id}`, pathParameters: { id }, token });
}

function readReleases(token: string) {
  return invoke(listReleases, { pathParameters: { repo: world.repo.id }, token });
}

/** One request of each scope's kind, each one its endpoint would accept from a release manager's full token. */
const requestOf: Record<Scope, (token: string) => ReturnType<typeof invoke>> = {
  read: readReleases,
  release: (token) =>
    invoke(createRelease, {
      pathParameters: { repo: world.repo.id },
      body: { version: `3.0.${parseInt(randomBytes(3).toString('hex'), 16)}` },
      token,
    }),
  deploy: async (token) => {
    const release = await releaseIn(pool, world.repo.id, world.releaseManager.id);
    const envs = await environmentsOf(pool, world.org.id);
    return invoke(createDeployment, {
      pathParameters: { repo: world.repo.id, id: release.id },
      // stg: a protected environment with no promotion rule in front of it (prod requires stg)
      body: { environmentId: envs.stg!.id },
      token,
    });
  },
  admin: (token) =>
    invoke(createEnvironment, {
      pathParameters: { org: world.org.slug },
      body: { name: `qa-${randomBytes(4).toString('hex')}` },
      token,
    }),
};

afterEach(() => {
  vi.useRealTimers();
});

describe('POST /tokens', () => {
  it('issues a token with the scopes and expiry asked for, showing its secret once, in the canonical scope order', async () => {
    const expiresAt = inHours(24);
    const res = await issue(
      { name: 'ci deploys', scopes: ['deploy', 'read'], expiresAt: expiresAt.toISOString() },
      world.developer.token,
    );
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      token: expect.stringMatching(/^gwr_[A-Za-z0-9_-]{43}$/),
      name: 'ci deploys',
      scopes: ['read', 'deploy'],
      expiresAt: expiresAt.toISOString(),
    });
    expect(res.headers.location).toBe(`/api/v1/tokens/${res.body.id}`);
    const [row] = await pool.query(sql`SELECT token_hash FROM api_tokens WHERE id = ${res.body.id}`);
    expect(row.token_hash).toEqual(hashToken(res.body.token));
  });

  it('gives a token without expiresAt no expiry when the token that asks has none', async () => {
    const res = await issue({ name: 'forever', scopes: ['read'] }, world.developer.token);
    expect(res.status).toBe(201);
    expect(res.body.expiresAt).toBeNull();
  });

  it('gives a token without expiresAt the expiry of the token that asks, so it cannot outlive it', async () => {
    const parent = await tokenWith(pool, world.developer.id, ['read', 'release'], inHours(2));
    const res = await issue({ name: 'child', scopes: ['release'] }, parent.token);
    expect(res.status).toBe(201);
    expect(res.body.expiresAt).toBe(parent.expiresAt);
  });

  it.each([
    ['an unknown scope', { scopes: ['read', 'write'] }, [['/body/scopes/1', '"write" is not a scope']]],
    ['an expiry in the past', { scopes: ['read'], expiresAt: '2020-01-01T00:00:00Z' }, [['/body/expiresAt', '2020']]],
    ['a scope the role does not give', { scopes: ['admin'] }, [['/body/scopes/0', 'admin needs the release_manager']]],
  ] as const)('refuses %s with a 422 naming it', async (_, body, problems) => {
    const res = await issue({ name: 'bad', ...body }, world.developer.token);
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body.errors).toEqual(
      problems.map(([path, message]) => ({ path, message: expect.stringContaining(message) })),
    );
    expect(res.body.detail).toContain(problems[0]![1]);
  });

  it('refuses with a 422 a scope that the token asking does not have, even one the role gives', async () => {
    const readOnly = await tokenWith(pool, world.releaseManager.id, ['read']);
    const res = await issue({ name: 'wider', scopes: ['read', 'deploy'] }, readOnly.token);
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([
      { path: '/body/scopes/1', message: 'the token that asks lacks the deploy scope, so it cannot grant it' },
    ]);
  });

  it('refuses with a 422 an expiry later than that of the token asking', async () => {
    const parent = await tokenWith(pool, world.releaseManager.id, ['read'], inHours(1));
    const later = inHours(5).toISOString();
    const res = await issue({ name: 'longer', scopes: ['read'], expiresAt: later }, parent.token);
    expect(res.status).toBe(422);
    const message = `expiresAt ${later} is after ${parent.expiresAt}, when the token that asks expires`;
    expect(res.body.errors).toEqual([{ path: '/body/expiresAt', message }]);
    expect(res.body.detail).toBe(`The token cannot be issued: ${message}.`);
  });

  it('answers 400, not 500, to a leap second, which the date-time format allows and no Date holds', async () => {
    const res = await issue(
      { name: 'leap', scopes: ['read'], expiresAt: '2030-06-30T23:59:60Z' },
      world.developer.token,
    );
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: '/body/expiresAt', message: 'must be a valid ISO 8601 time' }]);
  });

  it('refuses an Idempotency-Key with a 400, since replaying the answer would mean storing the secret', async () => {
    const res = await invoke(createToken, {
      path: '/api/v1/tokens',
      body: { name: 'retried', scopes: ['read'] },
      token: world.developer.token,
      headers: { 'idempotency-key': randomBytes(8).toString('hex') },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: '/headers/idempotency-key', message: 'is not accepted here' }]);
    const [row] = await pool.query(
      sql`SELECT count(*)::int AS n FROM api_tokens WHERE user_id = ${world.developer.id} AND name = 'retried'`,
    );
    expect(row.n).toBe(0);
  });

  it('writes nothing when it refuses', async () => {
    const before = await pool.query(
      sql`SELECT count(*)::int AS n FROM api_tokens WHERE user_id = ${world.developer.id}`,
    );
    expect((await issue({ name: 'x', scopes: ['read', 'admin'] }, world.developer.token)).status).toBe(422);
    const after = await pool.query(
      sql`SELECT count(*)::int AS n FROM api_tokens WHERE user_id = ${world.developer.id}`,
    );
    expect(after).toEqual(before);
  });
});

describe('GET /user', () => {
  it("tells any token whose it is, with that token's scopes and expiry", async () => {
    const expiresAt = inHours(2);
    const narrow = await tokenWith(pool, world.developer.id, ['deploy'], expiresAt);
    const res = await invoke(getUser, { path: '/api/v1/user', token: narrow.token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: world.developer.id,
      name: 'dev',
      token: { id: narrow.id, scopes: ['deploy'], expiresAt: expiresAt.toISOString() },
    });
    const full = await invoke(getUser, { path: '/api/v1/user', token: world.releaseManager.token });
    expect(full.body).toMatchObject({ id: world.releaseManager.id, name: 'rm', token: { expiresAt: null } });
  });

  it('is a 401 problem without a valid token', async () => {
    const res = await invoke(getUser, { path: '/api/v1/user', token: `gwr_${'A'.repeat(43)}` });
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toBe('application/problem+json');
  });
});

describe('a scoped token', () => {
  it.each([
    ['read', ['release', 'deploy', 'admin']],
    ['release', ['read', 'deploy', 'admin']],
    ['deploy', ['read', 'release', 'admin']],
    ['admin', ['read', 'release', 'deploy']],
  ] as const)(
    'with only %s is allowed that kind of request and refused the others with a 403 naming the scope',
    async (has, lacks) => {
      const { token } = await tokenWith(pool, world.releaseManager.id, [has]);
      expect((await requestOf[has](token)).status).toBeLessThan(300);
      for (const scope of lacks) {
        const res = await requestOf[scope](token);
        expect(res.status).toBe(403);
        expect(res.headers['content-type']).toBe('application/problem+json');
        expect(res.body.detail).toBe(
          `This endpoint needs a token with the ${scope} scope; the token you sent has ${has}.`,
        );
      }
    },
  );

  it('still needs the role: a developer token with every scope cannot create an environment', async () => {
    const res = await requestOf.admin(world.developer.token);
    expect(res.status).toBe(403);
    expect(res.body.detail).toContain('release_manager role');
  });
});

describe('an existing token', () => {
  it('made before scopes existed (no scopes or expiry written) keeps every scope and no expiry', async () => {
    const token = `gwr_${randomBytes(32).toString('base64url')}`;
    await pool.query(sql`
      INSERT INTO api_tokens (user_id, token_hash, name) VALUES (${world.releaseManager.id}, ${hashToken(token)}, 'old')`);
    for (const scope of ['read', 'release', 'deploy', 'admin'] as const) {
      expect((await requestOf[scope](token)).status).toBeLessThan(300);
    }
    const listed = await list(token);
    expect(listed.body.items).toContainEqual(
      expect.objectContaining({ name: 'old', scopes: ['read', 'release', 'deploy', 'admin'], expiresAt: null }),
    );
  });
});

describe('an expired token', () => {
  it('is a 401 that says it expired', async () => {
    const made = await tokenWith(pool, world.developer.id, ['read'], inHours(1));
    await pool.query(sql`UPDATE api_tokens SET expires_at = now() - interval '1 minute' WHERE id = ${made.id}`);
    const res = await readReleases(made.token);
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body.detail).toMatch(/^The API token expired at \d{4}-.*Z; make a new one\.$/);
  });

  it('is refused from the identity cache as soon as its expiry passes, long before the cache would ask again', async () => {
    const lifetime = config().authCacheTtlMs;
    config().authCacheTtlMs = 24 * HOUR;
    try {
      const made = await tokenWith(pool, world.developer.id, ['read'], inHours(1));
      expect((await readReleases(made.token)).status).toBe(200);
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(inHours(2));
      const res = await readReleases(made.token);
      expect(res.status).toBe(401);
      expect(res.body.detail).toBe(`The API token expired at ${made.expiresAt}; make a new one.`);
    } finally {
      config().authCacheTtlMs = lifetime;
    }
  });
});

describe('GET /tokens', () => {
  it("lists the caller's live tokens newest first with scopes, expiry and last use, and never a secret", async () => {
    const { releaseManager } = world;
    const first = await tokenWith(pool, releaseManager.id, ['read'], inHours(3));
    // a minute older, so that newest first does not hang on the order of two inserts within a millisecond
    await pool.query(sql`UPDATE api_tokens SET created_at = created_at - interval '1 minute' WHERE id = ${first.id}`);
    const second = await tokenWith(pool, releaseManager.id, ['read', 'deploy']);
    const gone = await tokenWith(pool, releaseManager.id, ['read']);
    expect((await revoke(gone.id, releaseManager.token)).status).toBe(204);
    expect((await readReleases(first.token)).status).toBe(200);
    const res = await list(second.token, { limit: '100' });
    expect(res.status).toBe(200);
    const live = await pool.query(sql`
      SELECT id FROM api_tokens WHERE user_id = ${releaseManager.id} AND revoked_at IS NULL
      ORDER BY created_at DESC, id DESC`);
    expect(res.body.items.map((item: { id: string }) => item.id)).toEqual(live.map((row) => row.id));
    const summary = (made: typeof first) => res.body.items.find((item: { id: string }) => item.id === made.id);
    expect(summary(second)).toEqual({
      id: second.id,
      name: 'only read, deploy',
      scopes: ['read', 'deploy'],
      createdAt: iso,
      expiresAt: null,
      lastUsedAt: iso,
    });
    expect(summary(first)).toEqual({
      id: first.id,
      name: 'only read',
      scopes: ['read'],
      createdAt: iso,
      expiresAt: first.expiresAt,
      lastUsedAt: iso,
    });
    const text = JSON.stringify(res.body);
    for (const secret of [first.token, second.token, gone.token, releaseManager.token])
      expect(text).not.toContain(secret);
    expect(text).not.toContain('gwr_');
  });

  it("shows none of another user's tokens, and pages by cursor", async () => {
    for (const n of [1, 2, 3]) await tokenWith(pool, world.outsider.id, [n === 2 ? 'deploy' : 'read']);
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const res = await list(world.outsider.token, { limit: '2', ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      pages.push(res.body.items.map((item: { id: string }) => item.id));
      cursor = res.body.nextCursor ?? undefined;
    } while (cursor);
    const owned = await pool.query(
      sql`SELECT id FROM api_tokens WHERE user_id = ${world.outsider.id} AND revoked_at IS NULL ORDER BY created_at DESC, id DESC`,
    );
    expect(pages.flat()).toEqual(owned.map((row) => row.id));
    expect(pages[0]).toHaveLength(2);
  });
});

describe('DELETE /tokens/{id}', () => {
  it('revokes the token at once, even where this process had it cached', async () => {
    const lifetime = config().authCacheTtlMs;
    config().authCacheTtlMs = 24 * HOUR;
    try {
      const made = await tokenWith(pool, world.developer.id, ['read']);
      expect((await readReleases(made.token)).status).toBe(200);
      const res = await revoke(made.id, world.developer.token);
      expect(res.status).toBe(204);
      expect(res.body).toBeUndefined();
      const after = await readReleases(made.token);
      expect(after.status).toBe(401);
      expect(after.body.detail).toBe('The API token is not valid, or has been revoked.');
    } finally {
      config().authCacheTtlMs = lifetime;
    }
  });

  it('lets a token revoke itself', async () => {
    const made = await tokenWith(pool, world.developer.id, ['deploy']);
    expect((await revoke(made.id, made.token)).status).toBe(204);
    expect((await readReleases(made.token)).status).toBe(401);
  });

  it("answers 404 for another user's token, an unknown one and one already revoked, and revokes nothing", async () => {
    const theirs = await tokenWith(pool, world.releaseManager.id, ['read']);
    const gone = await tokenWith(pool, world.developer.id, ['read']);
    expect((await revoke(gone.id, world.developer.token)).status).toBe(204);
    for (const id of [theirs.id, gone.id, '00000000-0000-4000-8000-000000000000']) {
      const res = await revoke(id, world.developer.token);
      expect(res.status).toBe(404);
      expect(res.body.detail).toBe(`Token ${id} was not found`);
    }
    expect((await readReleases(theirs.token)).status).toBe(200);
  });

  it('refuses with a 403 naming the scopes a narrower token would need to revoke a broader one', async () => {
    const narrow = await tokenWith(pool, world.releaseManager.id, ['read']);
    const broad = await tokenWith(pool, world.releaseManager.id, ['read', 'release', 'deploy']);
    const res = await revoke(broad.id, narrow.token);
    expect(res.status).toBe(403);
    expect(res.body.detail).toBe(
      'Revoking this token needs a token with the release, deploy scopes, as it has; the token you sent lacks them.',
    );
    expect((await readReleases(broad.token)).status).toBe(200);
  });
});
