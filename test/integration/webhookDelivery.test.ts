import type { ConnectionPool } from '@databases/pg';
import { verify } from '@octokit/webhooks-methods';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { handler as deliverWebhooks } from '../../functions/deliverWebhooks';
import { type Deliverer, startDeliverer } from '../../lib/domain/deliverer';
import { type DeliveryOptions, USER_AGENT } from '../../lib/domain/deliveries';
import { recordEvent } from '../../lib/domain/events';
import { redeliver } from '../../lib/domain/webhooks';
import { closeDb, sql } from '../../lib/infra/db';
import { postOnce, resolveDestination } from '../../lib/infra/outbound';
import { freePort } from '../../scripts/lib/net';
import { lambdaContext } from '../helpers/events';
import { orgWithMembers } from '../helpers/factories';
import { eventFromRows } from '../helpers/feed';
import { type OwnDatabase, ownDatabase } from '../helpers/ownDatabase';
import { type Receiver, startReceiver } from '../helpers/receiver';
import type { World } from '../helpers/world';

// The deliverer against real receivers on loopback (node:http), on the run's Postgres. Times are scaled down with
// the knobs WEBHOOK_TIMEOUT_MS and WEBHOOK_RETRY_BASE_MS stand for: a 300 ms timeout, retries from 20 ms. A database
// of this file's own: a deliverer claims in every org, and the e2e server's deliverer must not take these.
let own: OwnDatabase;
let pool: ConnectionPool;
let world: World;
beforeAll(async () => {
  own = await ownDatabase(inject('databaseUrl'));
  // the scheduled function's pool (lib/infra/db, opened on first use) is on this database too
  process.env.DATABASE_URL = own.url;
  process.env.WEBHOOK_ALLOW_PRIVATE = 'true';
  // this file's database is its own: its scheduled function may send (the run's setup turns every deliverer off)
  process.env.WEBHOOK_DELIVERER = 'true';
  pool = own.pool;
  world = await orgWithMembers(pool);
});
afterAll(async () => {
  await closeDb();
  await own.drop();
});
const SECRET = 'a-secret-of-the-receiver-0123456789';
const fast: DeliveryOptions = { allowPrivate: true, timeoutMs: 300, retryBaseMs: 20, concurrency: 4 };

const running: Deliverer[] = [];
const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((deliverer) => deliverer.stop()));
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
  await pool.query(sql`DELETE FROM webhooks WHERE org_id = ${world.org.id}`);
});

function deliver(options: DeliveryOptions = fast): Deliverer {
  const deliverer = startDeliverer(pool, options);
  running.push(deliverer);
  return deliverer;
}

async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const made = await startReceiver(...args);
  receivers.push(made);
  return made;
}

/** A webhook of the world's org, written directly (registration's URL check is another test's subject). */
async function webhook(url: string, events: string[] = []): Promise<string> {
  const [row] = await pool.query(sql`
    INSERT INTO webhooks (org_id, url, events, secret, created_by)
    VALUES (${world.org.id}, ${url}, ${events}, ${SECRET}, ${world.releaseManager.id}) RETURNING id`);
  return row.id;
}

/** Records `count` events of the world's org, one transaction each, as the write paths do. */
async function events(count: number, type: 'environment.created' | 'release.created' = 'environment.created') {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    await pool.tx(async (tx) => {
      await recordEvent(tx, {
        type,
        orgId: world.org.id,
        repoId: type === 'release.created' ? world.repo.id : null,
        actorId: world.releaseManager.id,
        resource: { n: i },
      });
    });
  }
  const rows = await pool.query(
    sql`SELECT id FROM events WHERE org_id = ${world.org.id} ORDER BY seq DESC LIMIT ${count}`,
  );
  for (const row of rows.reverse()) ids.push(row.id);
  return ids;
}

async function deliveriesOf(webhookId: string) {
  return pool.query(sql`
    SELECT d.id, d.status, d.event_id, d.attempts,
      ARRAY(SELECT a.error FROM webhook_attempts a WHERE a.delivery_id = d.id ORDER BY a.id) AS errors,
      ARRAY(SELECT a.status_code FROM webhook_attempts a WHERE a.delivery_id = d.id ORDER BY a.id) AS codes
    FROM webhook_deliveries d WHERE d.webhook_id = ${webhookId} ORDER BY d.created_at, d.id`);
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`never came to pass: ${what}`);
}

const settled = (webhookId: string) => async () =>
  (await deliveriesOf(webhookId)).every((row: { status: string }) => row.status !== 'pending');

describe('a webhook delivery', () => {
  it('is a POST of the event as the feed renders it, signed as GitHub signs, with the event, a delivery id and a User-Agent', async () => {
    const hook = await receiver();
    const id = await webhook(hook.url);
    const [eventId] = await events(1);
    deliver();
    await hook.waitFor(1);
    const [request] = hook.received;
    const [delivery] = await deliveriesOf(id);
    expect(request!.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'x-gitweave-event': 'environment.created',
      'x-gitweave-delivery': delivery.id,
    });
    expect(JSON.parse(request!.body)).toEqual(await eventFromRows(pool, eventId!));
    // @octokit/webhooks-methods is what receivers of GitHub's webhooks verify with
    expect(await verify(SECRET, request!.body, request!.headers['x-gitweave-signature-256'] as string)).toBe(true);
    expect(
      await verify('another-secret-0123456789', request!.body, request!.headers['x-gitweave-signature-256'] as string),
    ).toBe(false);
    await until(settled(id), 'the delivery is marked delivered');
    expect(await deliveriesOf(id)).toEqual([
      { id: delivery.id, status: 'delivered', event_id: eventId, attempts: 1, errors: [null], codes: [204] },
    ]);
  });

  it('is made in the transaction of its event, for the webhooks of its org whose types match, and not on rollback', async () => {
    const all = await webhook('http://127.0.0.1:9/all');
    const releases = await webhook('http://127.0.0.1:9/releases', ['release.created']);
    await expect(
      pool.tx(async (tx) => {
        await recordEvent(tx, {
          type: 'environment.created',
          orgId: world.org.id,
          repoId: null,
          actorId: world.releaseManager.id,
          resource: {},
        });
        throw new Error('the change fails');
      }),
    ).rejects.toThrow('the change fails');
    expect(await deliveriesOf(all)).toEqual([]);
    await events(1, 'environment.created');
    await events(1, 'release.created');
    await pool.tx(async (tx) => {
      await recordEvent(tx, {
        type: 'release.created',
        orgId: world.otherOrg.id,
        repoId: world.otherRepo.id,
        actorId: world.outsider.id,
        resource: {},
      });
    });
    expect((await deliveriesOf(all)).map((row: { status: string }) => row.status)).toEqual(['pending', 'pending']);
    expect(await deliveriesOf(releases)).toHaveLength(1);
  });

  it('is not redirected: a 3xx is a failed attempt, retried, and the Location is never called', async () => {
    const elsewhere = await receiver();
    const hook = await receiver(() => ({ status: 302, headers: { location: elsewhere.url } }));
    const id = await webhook(hook.url);
    await events(1);
    deliver();
    await hook.waitFor(3);
    const [row] = await deliveriesOf(id);
    expect(row.errors.slice(0, 2)).toEqual([
      'answered 302, a redirect, which is not followed',
      'answered 302, a redirect, which is not followed',
    ]);
    expect(new Set(hook.received.map((r) => r.headers['x-gitweave-delivery']))).toEqual(new Set([row.id]));
    expect(elsewhere.received).toEqual([]);
  });

  it('reaches a receiver that was down for a while, every delivery once, after retries with backoff', async () => {
    const port = await freePort();
    const id = await webhook(`http://127.0.0.1:${port}/hook`);
    const ids = await events(20);
    deliver();
    await until(
      async () => (await deliveriesOf(id)).every((row: { attempts: number }) => row.attempts >= 3),
      'three attempts each while the receiver is down',
    );
    const hook = await receiver(undefined, port);
    await hook.waitFor(20);
    await until(settled(id), 'every delivery marked delivered');
    const rows = await deliveriesOf(id);
    expect(rows.map((row: { event_id: string }) => row.event_id).sort()).toEqual([...ids].sort());
    expect(rows.every((row: { status: string }) => row.status === 'delivered')).toBe(true);
    expect(rows[0].errors[0]).toMatch(/ECONNREFUSED/);
    const sent = hook.received.map((r) => r.headers['x-gitweave-delivery']);
    expect(sent.sort()).toEqual(rows.map((row: { id: string }) => row.id).sort());
  });

  it('waits longer after each failed attempt: at least half of base × 2^(n−1) after the n-th', async () => {
    // a base of 500 ms: the waits are at least 250, 500 and 1,000 ms, lower bounds that a loaded machine only lengthens;
    // a constant wait (the base) would put the fourth attempt some 500 ms after the third
    const hook = await receiver(() => ({ status: 503 }));
    const id = await webhook(hook.url);
    await events(1);
    deliver({ ...fast, retryBaseMs: 500 });
    await until(async () => (await deliveriesOf(id))[0]?.errors.length >= 4, 'four attempts recorded');
    const started = await pool.query(sql`
      SELECT extract(epoch FROM a.started_at) * 1000 AS ms FROM webhook_attempts a
      JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.webhook_id = ${id} ORDER BY a.id LIMIT 4`);
    const gaps = started.slice(1).map((row, i) => Number(row.ms) - Number(started[i]!.ms));
    // started_at is kept to the millisecond
    expect(gaps[0]).toBeGreaterThanOrEqual(249);
    expect(gaps[1]).toBeGreaterThanOrEqual(499);
    expect(gaps[2]).toBeGreaterThanOrEqual(999);
  });

  it('gives a hanging receiver one slot for at most the timeout, while the others are served', async () => {
    const hanging = await receiver(() => 'hang');
    const healthy = await receiver();
    const stuck = await webhook(hanging.url);
    const fine = await webhook(healthy.url);
    await events(10);
    deliver({ ...fast, concurrency: 2, retryBaseMs: 60_000 });
    await healthy.waitFor(10);
    await until(settled(fine), 'the healthy receiver has all ten');
    expect(hanging.maxOpen()).toBe(1);
    await until(
      async () => (await deliveriesOf(stuck)).some((row: { errors: string[] }) => row.errors.length > 0),
      'an attempt on the hanging receiver timed out',
    );
    const timedOut = (await deliveriesOf(stuck)).find((row: { errors: string[] }) => row.errors.length > 0);
    expect(timedOut.errors).toEqual(['no answer within 300 ms']);
    expect(hanging.maxOpen()).toBe(1);
  });

  it('is refused at delivery when the address connected to is loopback, unless WEBHOOK_ALLOW_PRIVATE', async () => {
    const hook = await receiver();
    const literal = await webhook(hook.url);
    const named = await webhook(`http://localhost:${hook.port}/hook`);
    await events(1);
    deliver({ ...fast, allowPrivate: false, retryBaseMs: 60_000 });
    await until(
      async () =>
        [...(await deliveriesOf(literal)), ...(await deliveriesOf(named))].every(
          (row: { errors: string[] }) => row.errors.length === 1,
        ),
      'one attempt each',
    );
    expect((await deliveriesOf(literal))[0].errors[0]).toBe(
      'refused: 127.0.0.1 is not a public address (loopback); webhooks only reach public addresses unless WEBHOOK_ALLOW_PRIVATE=true',
    );
    expect((await deliveriesOf(named))[0].errors[0]).toMatch(
      /^refused: localhost \((127\.0\.0\.1|::1)\) is not a public address \(loopback\)/,
    );
    expect(hook.received).toEqual([]);
  });

  it('is marked failed once no retry falls within 24 hours of its event', async () => {
    const hook = await receiver(() => ({ status: 500 }));
    const id = await webhook(hook.url);
    await events(1);
    await pool.query(
      sql`UPDATE webhook_deliveries SET created_at = now() - interval '25 hours' WHERE webhook_id = ${id}`,
    );
    deliver();
    await until(settled(id), 'the delivery is final');
    expect(await deliveriesOf(id)).toMatchObject([
      { status: 'failed', attempts: 1, errors: ['answered 500'], codes: [500] },
    ]);
  });

  it('is sent again on redelivery, once, with the same delivery id and body', async () => {
    const hook = await receiver();
    const id = await webhook(hook.url);
    await events(1);
    const deliverer = deliver();
    await hook.waitFor(1);
    await until(settled(id), 'delivered');
    const [delivery] = await deliveriesOf(id);
    const org = { id: world.org.id, slug: world.org.slug, role: 'release_manager' as const };
    const queued = await redeliver(pool, org, id, delivery.id);
    expect(queued).toMatchObject({ id: delivery.id, status: 'pending' });
    deliverer.wake(); // what the NOTIFY of the redelivery does in a server (the e2e test goes through it)
    await hook.waitFor(2);
    await until(settled(id), 'delivered again');
    expect(hook.received[1]!.headers['x-gitweave-delivery']).toBe(delivery.id);
    expect(hook.received[1]!.body).toBe(hook.received[0]!.body);
    const [again] = await pool.query(
      sql`SELECT array_agg(redelivery ORDER BY id) AS kinds FROM webhook_attempts WHERE delivery_id = ${delivery.id}`,
    );
    expect(again.kinds).toEqual([false, true]);
    expect(hook.received).toHaveLength(2);
  });

  it('is not retried when a redelivery fails: the delivery is failed after that one attempt', async () => {
    let answer = 204;
    const hook = await receiver(() => ({ status: answer }));
    const id = await webhook(hook.url);
    await events(1);
    const deliverer = deliver();
    await hook.waitFor(1);
    await until(settled(id), 'delivered');
    const [delivery] = await deliveriesOf(id);
    answer = 500;
    const org = { id: world.org.id, slug: world.org.slug, role: 'release_manager' as const };
    await redeliver(pool, org, id, delivery.id);
    deliverer.wake();
    await hook.waitFor(2);
    await until(settled(id), 'the redelivery is final');
    expect(await deliveriesOf(id)).toMatchObject([
      { status: 'failed', errors: [null, 'answered 500'], codes: [204, 500] },
    ]);
    // a retry would be due within 20 ms of the failure (the base): none comes
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(hook.received).toHaveLength(2);
  });

  it('is sent by one of several deliverers at a time: each delivery arrives once', async () => {
    const hooks = [await receiver(), await receiver(), await receiver()];
    const ids = await Promise.all(hooks.map((hook) => webhook(hook.url)));
    await events(40);
    for (let i = 0; i < 3; i++) deliver();
    await Promise.all(hooks.map((hook) => hook.waitFor(40)));
    for (const id of ids) await until(settled(id), 'all delivered');
    for (const [i, hook] of hooks.entries()) {
      const sent = hook.received.map((r) => r.headers['x-gitweave-delivery']);
      expect(new Set(sent).size).toBe(sent.length);
      expect(sent.sort()).toEqual((await deliveriesOf(ids[i]!)).map((row: { id: string }) => row.id).sort());
    }
  });

  it('serves webhooks in turn when more are due than there are slots', async () => {
    const order: string[] = [];
    const hooks = [await receiver(), await receiver()];
    for (const [i, hook] of hooks.entries()) {
      hook.behave(() => {
        order.push(String(i));
        return { status: 204 };
      });
      await webhook(hook.url);
    }
    await events(60);
    deliver({ ...fast, concurrency: 1 });
    await Promise.all(hooks.map((hook) => hook.waitFor(60)));
    // one slot, batches of at most 50: each webhook gets a batch before either gets a second
    expect(new Set(order.slice(0, 60))).toEqual(new Set(['0', '1']));
  });

  it('is sent by the scheduled function as Lambda runs it, which stops once nothing is due', async () => {
    const hook = await receiver();
    const id = await webhook(hook.url);
    await events(3);
    const result = await deliverWebhooks({} as Parameters<typeof deliverWebhooks>[0], lambdaContext());
    expect(result).toEqual({ attempts: 3 });
    expect(hook.received).toHaveLength(3);
    expect((await deliveriesOf(id)).map((row: { status: string }) => row.status)).toEqual([
      'delivered',
      'delivered',
      'delivered',
    ]);
  });

  it('is not sent by the scheduled function of a process with WEBHOOK_DELIVERER=false, as under npm run dev in tests', async () => {
    const hook = await receiver();
    const id = await webhook(hook.url);
    await events(2);
    process.env.WEBHOOK_DELIVERER = 'false';
    // the function as a fresh process loads it: its configuration (memoised per process) read with the switch off
    vi.resetModules();
    const fresh = await import('../../functions/deliverWebhooks');
    const freshDb = await import('../../lib/infra/db');
    try {
      expect(await fresh.handler({} as Parameters<typeof fresh.handler>[0], lambdaContext())).toEqual({ attempts: 0 });
    } finally {
      process.env.WEBHOOK_DELIVERER = 'true';
      await freshDb.closeDb();
    }
    expect(hook.received).toHaveLength(0);
    expect(
      (await deliveriesOf(id)).map((row: { status: string; attempts: number }) => [row.status, row.attempts]),
    ).toEqual([
      ['pending', 0],
      ['pending', 0],
    ]);
  });
});

// One POST (lib/infra/outbound) with a resolver of the test's in place of the system's, as a DNS server under the
// control of whoever registered the webhook would answer. Every address here is loopback.
describe('one POST to a webhook address', () => {
  it('goes to the address that was resolved and checked, not to what resolving the name again answers', async () => {
    // the receiver listens on 127.0.0.2 only, which the system never answers for localhost (127.0.0.1 or ::1, where
    // nothing listens on that port): a connection that resolved the name again would miss it (DNS rebinding)
    const hook = await receiver(undefined, 0, '127.0.0.2');
    const asked: string[] = [];
    const outcome = await postOnce(
      `http://localhost:${hook.port}/hook`,
      '{}',
      {},
      {
        allowPrivate: true,
        timeoutMs: 5000,
        resolve: (host, policy) => {
          asked.push(host);
          return resolveDestination('127.0.0.2', policy);
        },
      },
    );
    expect(outcome).toMatchObject({ statusCode: 204, error: null });
    expect(asked).toEqual(['localhost']);
    expect(hook.received).toHaveLength(1);
  });

  it('is refused once connected when the address connected to is not public, whatever the resolution let through', async () => {
    // a resolution that skipped the check: the check made on the connected socket is the one left to refuse
    const hook = await receiver();
    const outcome = await postOnce(
      hook.url,
      '{}',
      {},
      {
        allowPrivate: false,
        timeoutMs: 5000,
        resolve: async () => [{ address: '127.0.0.1', family: 4 }],
      },
    );
    expect(outcome).toMatchObject({
      statusCode: null,
      error:
        'refused: 127.0.0.1 is not a public address (loopback); webhooks only reach public addresses unless WEBHOOK_ALLOW_PRIVATE=true',
    });
    expect(hook.received).toEqual([]);
  });
});
