import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from '@databases/pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { handler as listReleases } from '../../functions/listReleases';
import { handler as repoEvents } from '../../functions/repoEvents';
import { EVENTS_CHANNEL } from '../../lib/domain/events';
import { IDENTITY_CHANNEL, onIdentityChange } from '../../lib/domain/identity';
import { createRepo } from '../../lib/domain/orgs';
import { poolStats } from '../../lib/infra/db';
import { type Listener, listen } from '../../lib/infra/listen';
import { endWaits, eventsSubscribed, eventsSubscription, noticeEvents } from '../../lib/infra/notices';
import { releaseIn } from '../helpers/deployments';
import { apiEvent, invoke, lambdaContext } from '../helpers/events';
import { feedSettled } from '../helpers/feed';
import { useWorld } from '../helpers/world';

// Wait= long-polls. In a server, one LISTEN connection per process wakes every waiting reader, which holds
// no database connection while it waits; where nothing listens (Lambda, serverless-offline) a reader polls.
const { pool, world } = useWorld();
let listener: Listener;

beforeAll(async () => {
  // it answers identity changes as a server's does: other files' revokes count it among the listeners they wait for
  listener = listen(
    inject('databaseUrl'),
    { [EVENTS_CHANNEL]: noticeEvents, [IDENTITY_CHANNEL]: onIdentityChange },
    eventsSubscription,
  );
  while (!eventsSubscribed()) await sleep(10);
});
afterAll(() => listener.stop());

function feed(query: Record<string, string>, context = lambdaContext()) {
  return repoEvents(
    apiEvent({ pathParameters: { repo: world.repo.id }, query, token: world.developer.token }),
    context,
  ).then((result) => ({ status: result.statusCode, body: JSON.parse(result.body as string) }));
}

/** The resume point at the current end of the repo's feed. */
async function now(): Promise<string> {
  await feedSettled(pool);
  return (await feed({ after: 'now' })).body.nextCursor;
}

/** The in-process callbacks of the readers of this process waiting for a notice, whatever feed (see lib/infra/notices). */
function waiters(): unknown[] {
  const notices = (globalThis as Record<symbol, { waiters: Map<string, Set<unknown>> }>)[
    Symbol.for('gitweave.releases.notices')
  ];
  return [...(notices?.waiters.values() ?? [])].flatMap((set) => [...set]);
}

/** How many readers of this process wait for a notice. */
function waiting(): number {
  return waiters().length;
}

/** Resolves once `count` readers of this process wait for a notice; fails after 20 s. */
async function readersWaiting(count: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (waiting() < count) {
    if (Date.now() > deadline) throw new Error(`${waiting()} readers wait, not ${count}`);
    await sleep(10);
  }
}

/** Resolves once no connection of this process's pool is in use and no request queues for one; fails after 20 s. */
async function poolIdle(): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const stats = poolStats();
    if (stats && stats.total === stats.idle && stats.waiting === 0) return;
    if (Date.now() > deadline) throw new Error(`the pool never went idle: ${JSON.stringify(stats)}`);
    await sleep(20);
  }
}

/** The ids of the resources of a page's events. */
function resourceIds(page: { body: { items: Array<{ resource: { id: string } }> } }): string[] {
  return page.body.items.map((e) => e.resource.id);
}

describe('wait= on the feed', () => {
  it('answers as soon as an event is recorded, long before its deadline', async () => {
    const after = await now();
    const asked = Date.now();
    const answer = feed({ after, wait: '30' });
    while (waiting() === 0) await sleep(5);
    const made = await releaseIn(pool, world.repo.id, world.developer.id, '3.0.0');
    const page = await answer;
    expect(page.status).toBe(200);
    expect(page.body.items.map((e: { resource: { id: string } }) => e.resource.id)).toEqual([made.id]);
    // the deadline was 27.5 s away (30 s, bounded by the 29 s the invocation had, less the margin to answer)
    expect(Date.now() - asked).toBeLessThan(20_000);
  });

  it('answers an empty page with the resume point at the deadline when nothing happens', async () => {
    const after = await now();
    const asked = Date.now();
    const page = await feed({ after, wait: '1' });
    expect(page.body).toEqual({ items: [], nextCursor: expect.any(String) });
    expect(Date.now() - asked).toBeGreaterThanOrEqual(1000);
  });

  it('leaves a reader of a quiet repo asleep while another repo of its org is written, and wakes it for its own', async () => {
    const quiet = await createRepo(pool, world.org.slug, `quiet-${Date.now()}`);
    const start = await repoEvents(
      apiEvent({ pathParameters: { repo: quiet.id }, query: { after: 'now' }, token: world.developer.token }),
      lambdaContext(),
    );
    const after = JSON.parse(start.body as string).nextCursor;
    const answer = repoEvents(
      apiEvent({ pathParameters: { repo: quiet.id }, query: { after, wait: '30' }, token: world.developer.token }),
      lambdaContext(),
    );
    while (waiting() === 0) await sleep(5);
    const [asleep] = waiters();
    // a woken reader reads again and waits with a new callback: the same one still waiting was never woken
    for (let i = 0; i < 5; i++) await releaseIn(pool, world.repo.id, world.developer.id);
    await sleep(300);
    expect(waiters()).toHaveLength(1);
    expect(waiters()[0]).toBe(asleep);
    const made = await releaseIn(pool, quiet.id, world.developer.id);
    const page = JSON.parse((await answer).body as string);
    expect(page.items.map((e: { resource: { id: string } }) => e.resource.id)).toEqual([made.id]);
  });

  it('never waits past what the invocation has left', async () => {
    const after = await now();
    // 1.6 s left: 0.1 s to wait, 1.5 s kept to answer in. Waiting what is left (1.6 s) or what was asked (30 s) would
    // answer after 1.6 s; a loaded machine adds its reads to the 0.1 s, well under the 1.5 s between the two
    const context = { ...lambdaContext(), getRemainingTimeInMillis: () => 1_600 };
    const asked = Date.now();
    const page = await feed({ after, wait: '30' }, context);
    const took = Date.now() - asked;
    expect(page.body).toEqual({ items: [], nextCursor: expect.any(String) });
    expect(took).toBeGreaterThanOrEqual(100);
    expect(took).toBeLessThan(1_300);
  });

  it('keeps 2,000 waiting readers off the pool, which still serves others, and wakes them all at once', async () => {
    const after = await now();
    let answered = 0;
    const readers = Array.from({ length: 2000 }, () =>
      feed({ after, wait: '30' }).then((page) => {
        answered += 1;
        return page;
      }),
    );
    await readersWaiting(readers.length);
    // each reads once (ten at a time), then waits without a connection: the pool goes idle while all 2,000 wait
    await poolIdle();
    expect({ waiting: waiting(), answered }).toEqual({ waiting: 2000, answered: 0 });
    const list = await invoke(listReleases, { pathParameters: { repo: world.repo.id }, token: world.developer.token });
    expect(list.status).toBe(200);
    const made = await releaseIn(pool, world.repo.id, world.developer.id, '4.0.0');
    const written = Date.now();
    const pages = await Promise.all(readers);
    // woken by the NOTIFY, not found at their deadline (27.5 s away): 2,000 reads take a few seconds when loaded
    expect(Date.now() - written).toBeLessThan(15_000);
    for (const page of pages) expect(resourceIds(page)).toEqual([made.id]);
    expect(waiting()).toBe(0);
  }, 60_000);

  it('reads again every 100 ms while an older transaction holds a committed event back, so no NOTIFY is needed', async () => {
    const after = await now();
    const answer = feed({ after, wait: '30' });
    await readersWaiting(1);
    const [first] = waiters();
    let made: { id: string } | undefined;
    let released = 0;
    // an older transaction, open while the event commits: the event is held back behind it, and its own commit
    // (which writes no event of this repo) sends no NOTIFY that would wake the reader
    await pool.tx(async (older) => {
      await older.query(sql`SELECT pg_current_xact_id()`);
      made = await releaseIn(pool, world.repo.id, world.developer.id);
      // the NOTIFY woke the reader, which read nothing (held back) and waits again
      while (waiters()[0] === first) await sleep(5);
      released = Date.now();
    });
    const page = await answer;
    expect(resourceIds(page)).toEqual([made!.id]);
    // found by a re-read soon after, not at the deadline 27.5 s away
    expect(Date.now() - released).toBeLessThan(10_000);
  }, 60_000);

  // it stops this process's listener: the tests after it run without one
  it('polls where nothing listens (Lambda, serverless-offline), and still answers once an event exists', async () => {
    await listener.stop();
    expect(eventsSubscribed()).toBe(false);
    const after = await now();
    const answer = feed({ after, wait: '30' });
    while (waiting() === 0) await sleep(5);
    const made = await releaseIn(pool, world.repo.id, world.developer.id, '5.0.0');
    const page = await answer;
    expect(page.body.items.map((e: { resource: { id: string } }) => e.resource.id)).toEqual([made.id]);
  });

  // last: after it, no reader of this process waits
  it('answers every waiting reader at once when the process stops', async () => {
    const after = await now();
    const readers = Array.from({ length: 50 }, () => feed({ after, wait: '30' }));
    while (waiting() < readers.length) await sleep(5);
    endWaits();
    for (const page of await Promise.all(readers)) {
      expect(page.body).toEqual({ items: [], nextCursor: expect.any(String) });
    }
  });
});
