import { setTimeout as sleep } from 'node:timers/promises';
import { type ConnectionPool, sql } from '@databases/pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { forgottenEverywhere, hashToken, issueToken, revokeToken } from '../../lib/domain/identity';
import { addMember } from '../../lib/domain/orgs';
import { LISTENING } from '../../lib/infra/listen';
import { type Server, serve } from '../../scripts/lib/serve';
import { releaseIn } from '../helpers/deployments';
import { orgWithMembers, tokenWith } from '../helpers/factories';
import { type OwnDatabase, ownDatabase } from '../helpers/ownDatabase';

// Two npm start servers on one database, each caching what tokens resolve to: a change made through lib/ must reach
// both before the next request: the writing transaction NOTIFYs (migration 0009), and lib/ waits for each server's
// answer that it forgot (forgottenEverywhere) before it returns. A database of this file's own: its servers' LISTEN
// connections are the only ones there (a test cuts them), and no other file's listener is waited for.
let own: OwnDatabase;
let pool: ConnectionPool;
const servers: Server[] = [];
const runUrl = process.env.DATABASE_URL;

beforeAll(async () => {
  own = await ownDatabase(inject('databaseUrl'));
  pool = own.pool;
  // forgottenEverywhere (lib/, in this process) waits on the database the servers listen on
  process.env.DATABASE_URL = own.url;
  for (let i = 0; i < 2; i++) {
    servers.push(
      await serve({
        databaseUrl: own.url,
        env: { ARTIFACTS_DIR: inject('artifactsDir'), LOG_LEVEL: 'fatal' },
        output: 'ignore',
      }),
    );
  }
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  if (runUrl === undefined) delete process.env.DATABASE_URL;
  else process.env.DATABASE_URL = runUrl;
  await own.drop();
});

/** The backends LISTENing and answering on this file's database: its two servers' connections. */
async function listeners(): Promise<number[]> {
  const rows = await pool.query(sql`
    SELECT pid FROM pg_stat_activity WHERE application_name = ${LISTENING} AND datname = current_database()`);
  return rows.map((row) => row.pid as number).sort();
}

/** Resolves once every server says its LISTEN connection is up (GET /health/ready), or fails after `ms`. */
async function listeningAgain(ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (const server of servers) {
    for (;;) {
      const response = await fetch(`${server.url}/health/ready`);
      const body = (await response.json()) as { checks: { listen: { status: string } } };
      if (response.status === 200 && body.checks.listen.status === 'ok') break;
      if (Date.now() > deadline) throw new Error(`${server.url} did not LISTEN again within ${ms} ms`);
      await sleep(50);
    }
  }
}

async function status(server: Server, method: string, path: string, token: string, json?: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(json ? { 'content-type': 'application/json' } : {}) },
    ...(json ? { body: JSON.stringify(json) } : {}),
  });
  await response.arrayBuffer();
  return response.status;
}

describe('identity cache across two servers', () => {
  it('refuses a revoked token on both servers from the very next request after the revoke returns', async () => {
    const world = await orgWithMembers(pool);
    for (let round = 0; round < 20; round++) {
      const token = await issueToken(pool, world.developer.id, `round ${round}`);
      const path = `/repos/${world.repo.id}/releases`;
      // both servers have the token cached
      for (const server of servers) expect(await status(server, 'GET', path, token)).toBe(200);
      expect(await revokeToken(pool, token)).toBe(true);
      for (const server of servers) expect(await status(server, 'GET', path, token)).toBe(401);
      expect(await revokeToken(pool, token)).toBe(false);
    }
  });

  it('refuses a token revoked while the servers had lost their LISTEN connection (they forget all, then re-listen)', async () => {
    const world = await orgWithMembers(pool);
    const token = await issueToken(pool, world.developer.id, 'across a lost subscription');
    const path = `/repos/${world.repo.id}/releases`;
    // both servers have the token cached
    for (const server of servers) expect(await status(server, 'GET', path, token)).toBe(200);
    const before = await listeners();
    expect(before).toHaveLength(2);
    // the revoke's NOTIFY goes out at commit, when neither server listens (each waits 100 ms before connecting
    // again): it reaches no one, and what they cached must go with the connection
    await pool.tx(async (tx) => {
      await tx.query(sql`SELECT pg_terminate_backend(pid) FROM unnest(${before}::int[]) AS pid`);
      await tx.query(sql`UPDATE api_tokens SET revoked_at = now() WHERE token_hash = ${hashToken(token)}`);
    });
    // without a new connection a server would never cache again (and readiness would say so); 10 s for a loaded machine
    await listeningAgain(10_000);
    const after = await listeners();
    expect(after).toHaveLength(2);
    expect(after.filter((pid) => before.includes(pid))).toEqual([]);
    for (const server of servers) expect(await status(server, 'GET', path, token)).toBe(401);
  });

  it('hides a repo and its org (named by id) on both servers from the very next request after the membership is removed', async () => {
    const world = await orgWithMembers(pool);
    const paths = [`/repos/${world.repo.id}/releases`, `/orgs/${world.org.id}/events`];
    for (const server of servers) {
      for (const path of paths) expect(await status(server, 'GET', path, world.developer.token)).toBe(200);
    }
    await forgottenEverywhere(async () => {
      await pool.query(sql`DELETE FROM memberships WHERE user_id = ${world.developer.id}`);
      return { value: undefined, forget: [`user:${world.developer.id}`] };
    });
    for (const server of servers) {
      for (const path of paths) expect(await status(server, 'GET', path, world.developer.token)).toBe(404);
    }
  });

  it('applies a lowered role on both servers from the very next request after it changes', async () => {
    const world = await orgWithMembers(pool);
    const path = `/orgs/${world.org.slug}/environments`;
    for (const [i, server] of servers.entries()) {
      expect(await status(server, 'POST', path, world.releaseManager.token, { name: `qa${i}` })).toBe(201);
    }
    await addMember(pool, world.org.slug, world.releaseManager.id, 'developer');
    for (const [i, server] of servers.entries()) {
      expect(await status(server, 'POST', path, world.releaseManager.token, { name: `uat${i}` })).toBe(403);
    }
  });

  it("applies a token's narrowed scopes and its expiry on both servers from the very next request after they change", async () => {
    const world = await orgWithMembers(pool);
    const token = await issueToken(pool, world.releaseManager.id, 'narrowed later');
    const path = `/orgs/${world.org.slug}/environments`;
    for (const [i, server] of servers.entries()) {
      expect(await status(server, 'POST', path, token, { name: `ops${i}` })).toBe(201);
    }
    // a raw UPDATE reaches the servers at commit, asynchronously; like the membership change above, it goes through
    // forgottenEverywhere, which returns once every server has forgotten the token (the guarantee under test)
    const change = (update: () => Promise<unknown>) =>
      forgottenEverywhere(async () => {
        await update();
        return { value: undefined, forget: [`token:${hashToken(token).toString('hex')}`] };
      });
    await change(() => pool.query(sql`UPDATE api_tokens SET scopes = '{read}' WHERE token_hash = ${hashToken(token)}`));
    for (const [i, server] of servers.entries()) {
      expect(await status(server, 'POST', path, token, { name: `ops-again${i}` })).toBe(403);
      expect(await status(server, 'GET', path, token)).toBe(200);
    }
    await change(() =>
      pool.query(
        sql`UPDATE api_tokens SET expires_at = now() - interval '1 minute' WHERE token_hash = ${hashToken(token)}`,
      ),
    );
    for (const server of servers) expect(await status(server, 'GET', path, token)).toBe(401);
  });
});

// A long poll (wait=) was authenticated when it arrived; it must check again when it wakes, so that an event committed
// after its token was revoked or expired, or after its membership was removed, never reaches it.
describe('a waiting long poll checks its identity again before it answers', () => {
  /** GET `path` on the first server, as a long poll; resolves with its status and body. */
  function poll(path: string, token: string) {
    return fetch(`${servers[0]?.url}${path}`, { headers: { authorization: `Bearer ${token}` } }).then(
      async (response) => ({ status: response.status, body: await response.text() }),
    );
  }

  /** The resume point at the current end of a feed (nothing written after it is in it). */
  async function endOf(path: string, token: string): Promise<string> {
    const response = await fetch(`${servers[0]?.url}${path}?after=now`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { nextCursor: string }).nextCursor;
  }

  /** Long-polls `path` from its end, lets it wait, runs `change`, then records an event in the repo. */
  async function waitThrough(
    path: string,
    token: string,
    world: Awaited<ReturnType<typeof orgWithMembers>>,
    change: () => Promise<unknown>,
  ) {
    const after = await endOf(path, token);
    const answer = poll(`${path}?after=${encodeURIComponent(after)}&wait=20`, token);
    await sleep(500);
    await change();
    const made = await releaseIn(pool, world.repo.id, world.releaseManager.id);
    return { answer: await answer, made };
  }

  for (const feed of ['repo', 'org'] as const) {
    const pathOf = (world: Awaited<ReturnType<typeof orgWithMembers>>) =>
      feed === 'repo' ? `/repos/${world.repo.id}/events` : `/orgs/${world.org.id}/events`;

    it(`answers 401 to a ${feed} feed's waiter whose token was revoked mid-wait, not the event written after`, async () => {
      const world = await orgWithMembers(pool);
      const token = await issueToken(pool, world.developer.id, 'revoked mid-wait');
      const { answer, made } = await waitThrough(pathOf(world), token, world, () => revokeToken(pool, token));
      expect(answer.status).toBe(401);
      expect(answer.body).not.toContain(made.id);
      expect(JSON.parse(answer.body)).toMatchObject({ status: 401, detail: expect.stringMatching(/revoked/) });
    });

    it(`answers 401 to a ${feed} feed's waiter whose token expired mid-wait, not the event written after`, async () => {
      const world = await orgWithMembers(pool);
      const { token } = await tokenWith(pool, world.developer.id, ['read'], new Date(Date.now() + 2_000));
      const { answer, made } = await waitThrough(pathOf(world), token, world, () => sleep(2_000));
      expect(answer.status).toBe(401);
      expect(answer.body).not.toContain(made.id);
      expect(JSON.parse(answer.body)).toMatchObject({ status: 401, detail: expect.stringMatching(/expired/) });
    });

    it(`answers 404 to a ${feed} feed's waiter whose membership was removed mid-wait, not the event written after`, async () => {
      const world = await orgWithMembers(pool);
      const { answer, made } = await waitThrough(pathOf(world), world.developer.token, world, () =>
        forgottenEverywhere(async () => {
          await pool.query(sql`DELETE FROM memberships WHERE user_id = ${world.developer.id}`);
          return { value: undefined, forget: [`user:${world.developer.id}`] };
        }),
      );
      expect(answer.status).toBe(404);
      expect(answer.body).not.toContain(made.id);
    });
  }

  it('still answers a waiter whose identity holds with the event written while it waited', async () => {
    const world = await orgWithMembers(pool);
    const { answer, made } = await waitThrough(`/repos/${world.repo.id}/events`, world.developer.token, world, () =>
      Promise.resolve(),
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toContain(made.id);
  });
});
