import createConnectionPool, { type ConnectionPool, sql } from '@databases/pg';
import fc from 'fast-check';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { recordEvent } from '../../lib/domain/events';
import { type FeedPage, type FeedScope, readFeed } from '../../lib/domain/feed';
import { createRepo } from '../../lib/domain/orgs';
import type { PublicEvent } from '../../schemas/events';
import { orgWithMembers } from '../helpers/factories';
import { feedSettled } from '../helpers/feed';
import { usePool } from '../helpers/world';

/** A repo's feed, with the org its events are recorded in. */
type WrittenFeed = FeedScope & { orgId: string };

// The feed is gap-free and exactly-once. Events are ordered by (txid, seq), and a read returns only events
// of transactions below its snapshot's xmin; these tests hold a writing transaction open while others commit.
const pool = usePool();
// one connection per concurrent writer, and one for the reader
const writers: ConnectionPool = createConnectionPool({
  connectionString: inject('databaseUrl'),
  bigIntMode: 'number',
  poolSize: 12,
});
afterAll(() => writers.dispose());

/** A gate a test opens when it chooses. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

/** Writes one event of `scope`'s repo, labelled `label`, in a transaction of its own, committed at once. */
async function commitEvent(scope: WrittenFeed, actorId: string, label: string) {
  await writers.tx((tx) =>
    recordEvent(tx, { type: 'release.created', orgId: scope.orgId, repoId: scope.id, actorId, resource: { label } }),
  );
}

/** The resources of a page's events, in order. */
const resources = (page: FeedPage) => page.events.map((text) => (JSON.parse(text) as PublicEvent).resource);

/** A reader that follows nextCursor until told to stop, keeping every label it read, in the order read. */
function follow(scope: WrittenFeed) {
  const seen: string[] = [];
  let stopping = false;
  let cursor: string | undefined;
  const poll = async () => {
    const page = await readFeed(pool, scope, { after: cursor, limit: 3 });
    seen.push(...resources(page).map((resource) => (resource as { label: string }).label));
    cursor = page.nextCursor;
    return page.events.length;
  };
  const done = (async () => {
    while (!stopping) await poll();
    // drain: everything committed before stop is readable once every transaction then in flight has ended
    await feedSettled(pool);
    while ((await poll()) > 0);
  })();
  return {
    seen,
    async stop() {
      stopping = true;
      await done;
    },
  };
}

async function repoScope() {
  const w = await orgWithMembers(pool);
  return { scope: { kind: 'repo', id: w.repo.id, orgId: w.org.id } as WrittenFeed, actorId: w.developer.id, w };
}

/** The labels of `scope`'s events in feed order, straight from the table. */
async function table(scope: WrittenFeed): Promise<string[]> {
  const rows = await pool.query(sql`
    SELECT resource ->> 'label' AS label FROM events WHERE repo_id = ${scope.id} ORDER BY txid, seq`);
  return rows.map((row) => row.label);
}

describe('the feed under concurrent writers', () => {
  it('holds back every later event while an earlier transaction is open, then delivers each exactly once in order', async () => {
    const { scope, actorId } = await repoScope();
    await commitEvent(scope, actorId, 'before');
    await feedSettled(pool);
    const reader = follow(scope);
    while (reader.seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const txidTaken = gate();
    const release = gate();
    // the held transaction takes its txid and writes a first event, then writes another only after the others
    // committed, and commits last
    const held = writers.tx(async (tx) => {
      await tx.query(sql`SELECT pg_current_xact_id()`);
      const write = (label: string) =>
        recordEvent(tx, {
          type: 'release.created',
          orgId: scope.orgId,
          repoId: scope.id,
          actorId,
          resource: { label },
        });
      await write('held-early');
      txidTaken.open();
      await release.opened;
      await write('held-late');
    });
    await txidTaken.opened;
    const later = Array.from({ length: 20 }, (_, i) => `later-${i}`);
    for (let i = 0; i < later.length; i += 4) {
      await Promise.all(later.slice(i, i + 4).map((label) => commitEvent(scope, actorId, label)));
    }
    // the later events are committed, yet nothing past the open transaction is readable: they are held back
    const [{ committed, newest }] = await pool.query(sql`
      SELECT count(*)::int AS committed, max(seq)::text AS newest FROM events WHERE repo_id = ${scope.id}`);
    expect(committed).toBe(21);
    expect(resources(await readFeed(pool, scope, { limit: 100 }))).toEqual([{ label: 'before' }]);
    expect([...reader.seen]).toEqual(['before']);
    release.open();
    await held;
    await reader.stop();
    expect(reader.seen).toEqual(await table(scope));
    expect(reader.seen.slice(0, 3)).toEqual(['before', 'held-early', 'held-late']);
    expect(reader.seen.slice(3).sort()).toEqual([...later].sort());
    expect(new Set(reader.seen).size).toBe(23);
    // what the test guards against: a reader resuming after the highest sequence number it had seen would have
    // skipped the held transaction's first event, which took its number early and committed late
    const [{ skipped }] = await pool.query(sql`
      SELECT count(*)::int AS skipped FROM events WHERE repo_id = ${scope.id} AND seq <= ${newest}::bigint
        AND resource ->> 'label' = 'held-early'`);
    expect(skipped).toBe(1);
  });

  it('a transaction that rolls back leaves no hole the reader waits on forever', async () => {
    const { scope, actorId } = await repoScope();
    const reader = follow(scope);
    await writers
      .tx(async (tx) => {
        await recordEvent(tx, { type: 'release.created', orgId: scope.orgId, repoId: scope.id, actorId, resource: {} });
        throw new Error('changed its mind');
      })
      .catch(() => undefined);
    await commitEvent(scope, actorId, 'after');
    await reader.stop();
    expect(reader.seen).toEqual(['after']);
  });

  it('keeps repos apart: a reader of one repo never reads another repo of the same org', async () => {
    const { scope, actorId, w } = await repoScope();
    const other = await createRepo(pool, w.org.slug, 'other');
    const otherScope: WrittenFeed = { kind: 'repo', id: other.id, orgId: w.org.id };
    const reader = follow(scope);
    await Promise.all([commitEvent(scope, actorId, 'mine'), commitEvent(otherScope, actorId, 'theirs')]);
    await reader.stop();
    expect(reader.seen).toEqual(['mine']);
  });

  it('delivers every event exactly once in order for any interleaving of writers that commit out of order', async () => {
    const { scope, actorId } = await repoScope();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        // per writer: how many events it writes, and when (in steps) it commits; writers start in index order
        fc.array(fc.record({ events: fc.integer({ min: 0, max: 3 }), commitAt: fc.nat(8) }), {
          minLength: 1,
          maxLength: 6,
        }),
        async (plan) => {
          run += 1;
          const runScope = scope;
          const before = await table(runScope);
          const reader = follow(runScope);
          const gates = plan.map(() => gate());
          const started = plan.map(() => gate());
          const running = plan.map((writer, index) =>
            writers.tx(async (tx) => {
              await tx.query(sql`SELECT pg_current_xact_id()`);
              started[index]!.open();
              for (let e = 0; e < writer.events; e += 1) {
                await recordEvent(tx, {
                  type: 'release.created',
                  orgId: runScope.orgId,
                  repoId: runScope.id,
                  actorId,
                  resource: { label: `${run}-${index}-${e}` },
                });
              }
              await gates[index]!.opened;
            }),
          );
          await Promise.all(started.map((g) => g.opened));
          const order = plan.map((writer, index) => ({ index, at: writer.commitAt })).sort((a, b) => a.at - b.at);
          for (const { index } of order) {
            gates[index]!.open();
            await running[index];
          }
          await reader.stop();
          const all = await table(runScope);
          const expected = all.slice(before.length);
          // the reader started at the beginning of the feed: it read the earlier runs' events first
          expect(reader.seen).toEqual([...before, ...expected]);
          expect(new Set(reader.seen).size).toBe(reader.seen.length);
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);
});
