import { eventTypes } from '../../schemas/events';
import { decodeCursor, encodeCursor, invalidCursor } from '../infra/cursor';
import { type Queryable, sql } from '../infra/db';
import { armNotice, eventsSubscribed, waitsEnded } from '../infra/notices';
import type { EventType } from './events';

/** Whose events a feed reads: one repo's, or every event of one org (its repos' and its environments'). */
export interface FeedScope {
  kind: 'repo' | 'org';
  id: string;
}

/** A place in the feed: after the event (txid, seq). Both are unsigned 64-bit integers, kept as decimal text. */
interface Position {
  txid: string;
  seq: string;
}

export interface FeedQuery {
  /** nextCursor of a previous page of this feed, or `now` (the current end: only events to come); none: the start */
  after?: string;
  types?: EventType[];
  limit: number;
  /** true: events of draft releases too (the reader may create releases); else they are left out */
  drafts?: boolean;
}

export interface FeedPage {
  /** the events, oldest first, each as JSON text (events.public): a PublicEvent */
  events: string[];
  nextCursor: string;
}

/** A page of the feed as the API answers it, `{ items, nextCursor }`, with the events written in as Postgres wrote them. */
export function feedPageJson(page: FeedPage): string {
  return `{"items":[${page.events.join(',')}],"nextCursor":${JSON.stringify(page.nextCursor)}}`;
}

const XID8_MAX = 2n ** 64n - 1n;
const SEQ_MAX = 2n ** 63n - 1n;
function unsigned(text: string, max: bigint): boolean {
  return /^(0|[1-9]\d{0,19})$/.test(text) && BigInt(text) <= max;
}

/** The cursor of `scope`'s feed that resumes after `position` (as nextCursor carries it). */
export function feedCursor(scope: Pick<FeedScope, 'kind' | 'id'>, position: Position): string {
  return encodeCursor(`${scope.kind}-events`, [scope.id, position.txid, position.seq]);
}

/**
 * The position a cursor holds. It must have been issued by this feed: a cursor of another kind of feed, of another
 * repo or org, or a forged one is a 400 (never another feed's events).
 */
function decodePosition(scope: FeedScope, cursor: string): Position {
  const [id, txid, seq] = decodeCursor(`${scope.kind}-events`, cursor, 3, '/query/after') as [string, string, string];
  if (id !== scope.id || !unsigned(txid, XID8_MAX) || !unsigned(seq, SEQ_MAX)) {
    throw invalidCursor('/query/after');
  }
  return { txid, seq };
}

/** The events `ev` of `scope`: a condition each feed's index (events_repo_feed, events_org_feed) leads with. */
function scopeOf(scope: FeedScope) {
  return scope.kind === 'repo' ? sql`ev.repo_id = ${scope.id}` : sql`ev.org_id = ${scope.id}`;
}

/**
 * One page of the feed of `scope`, oldest first after `query.after`, gap-free: events are ordered by their writing
 * transaction's id, then by their order in it, and only events of transactions below the snapshot's xmin (the
 * oldest transaction still in flight) are returned. A transaction that commits late always has a txid at or above
 * the xmin of every earlier read, so no reader has read past it; it holds back everything after it until then.
 * `nextCursor` is the resume point: the last event returned, or, when the page is not full, the horizon itself
 * (nothing below it is still to come). `horizon` is that xmin.
 */
export async function readFeed(
  db: Queryable,
  scope: FeedScope,
  query: FeedQuery,
): Promise<FeedPage & { horizon: string }> {
  const now = query.after === 'now';
  const from = query.after === undefined || now ? null : decodePosition(scope, query.after);
  const inScope = scopeOf(scope);
  const after = from
    ? sql`(ev.txid, ev.seq) > (${from.txid}::xid8, ${from.seq}::bigint)`
    : now
      ? sql`false`
      : sql`true`;
  const types = query.types?.length ? sql`AND ev.type = ANY(${query.types}::text[])` : sql``;
  const drafts = query.drafts ? sql`` : sql`AND NOT (ev.type LIKE 'release.%' AND ev.resource @> '{"draft": true}')`;
  // One statement, so that the horizon is the xmin of the very snapshot the page was read with; the page is one index
  // range of events, each sent as rendered when it was written (migration 0019). Joined to orgs, repos and users
  // here, the planner once estimated a repo's page at one row and read it through the org's index, sorting 949,096
  // rows for 21 (2.5 s a page).
  const rows = await db.query(sql`
    SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS horizon, page.*
    FROM (SELECT 1) one
    LEFT JOIN LATERAL (
      SELECT ev.txid::text AS txid, ev.seq::text AS seq, ev.public::text AS event
      FROM events ev
      WHERE ${inScope} AND ${after} AND ev.txid < pg_snapshot_xmin(pg_current_snapshot()) ${types} ${drafts}
      ORDER BY ev.txid, ev.seq
      LIMIT ${query.limit + 1}
    ) page ON true
    ORDER BY page.txid::xid8, page.seq::bigint
  `);
  const found = rows.filter((row) => row.txid !== null);
  const full = found.length > query.limit;
  const page = found.slice(0, query.limit);
  const last = page.at(-1);
  // a page that is not full has read everything below the horizon: the reader may resume from there
  const horizon: Position = { txid: rows[0]?.horizon, seq: '0' };
  let position = full && last ? { txid: last.txid as string, seq: last.seq as string } : horizon;
  if (!full && from && compare(from, horizon) > 0) position = from;
  return {
    events: page.map((row) => row.event as string),
    nextCursor: feedCursor(scope, position),
    horizon: horizon.txid,
  };
}

/**
 * Whether events of `scope` exist at or past `horizon` (the xmin of an earlier read): committed events held back
 * behind a transaction still in flight then, or written since.
 */
async function eventsPast(db: Queryable, scope: FeedScope, horizon: string): Promise<boolean> {
  const [row] = await db.query(
    sql`SELECT EXISTS (SELECT 1 FROM events ev WHERE ${scopeOf(scope)} AND ev.txid >= ${horizon}::xid8) AS past`,
  );
  return row.past;
}

function compare(a: Position, b: Position): number {
  const byTx = BigInt(a.txid) - BigInt(b.txid);
  if (byTx !== 0n) return byTx < 0n ? -1 : 1;
  const bySeq = BigInt(a.seq) - BigInt(b.seq);
  return bySeq === 0n ? 0 : bySeq < 0n ? -1 : 1;
}

/** How often a waiting reader reads again when this process gets no NOTIFYs (Lambda, serverless-offline). */
const POLL_MS = 1_000;
/** How soon a waiting reader reads again when committed events are held back behind an older transaction. */
const HELD_BACK_MS = 100;

/**
 * `readFeed`, waiting up to `waitMs` for a page with events (long polling): an empty page is answered only at the
 * deadline (or at once when the process is stopping). Woken by this process's NOTIFY subscription (one connection
 * for every waiter: a waiter holds none); where there is none, it reads again every second. Before it answers after
 * having waited, `recheck` runs (after the last read) and may throw: the caller's identity no longer holds.
 */
async function waitForFeed(
  db: Queryable,
  scope: FeedScope,
  query: FeedQuery,
  waitMs: number,
  recheck: () => Promise<void>,
): Promise<FeedPage> {
  const deadline = Date.now() + waitMs;
  let after = query.after;
  for (let woken = false; ; woken = true) {
    const notice = armNotice(`${scope.kind}:${scope.id}`);
    const page = await readFeed(db, scope, { ...query, after });
    const left = deadline - Date.now();
    if (page.events.length > 0 || left <= 0 || waitsEnded()) {
      notice.disarm();
      // after a wait, the caller's identity is checked again once the page is read: an event committed after a revoke
      // (or an expiry, or a removed membership) can be in the page only if this check, later, sees that change too
      if (woken) await recheck();
      return { events: page.events, nextCursor: page.nextCursor };
    }
    after = page.nextCursor;
    const heldBack = await eventsPast(db, scope, page.horizon);
    await notice.wait(Math.min(left, heldBack ? HELD_BACK_MS : eventsSubscribed() ? left : POLL_MS));
  }
}

/** What a wait leaves for answering: the response must be out before the invocation's time is up. */
const ANSWER_MARGIN_MS = 1_500;

function isEventType(name: string): name is EventType {
  return (eventTypes as readonly string[]).includes(name);
}

/** `types=a,b` as the list of event types (the schema has checked each name; this keeps only known ones). */
function parseTypes(types: string | undefined): EventType[] | undefined {
  return types === undefined ? undefined : types.split(',').filter(isEventType);
}

/**
 * A page of the feed of `scope` for GET …/events: `wait` seconds at most, and never past what the invocation has
 * left (`remainingMs`, minus a margin to answer in). `recheck` throws when the caller may no longer read the feed
 * (see lib/domain/identity `stillMember`); a reader that waited runs it before it answers.
 */
export function feed(
  db: Queryable,
  scope: FeedScope,
  query: { after?: string; types?: string; limit: number; wait: number; drafts?: boolean },
  remainingMs: number,
  recheck: () => Promise<void>,
): Promise<FeedPage> {
  const waitMs = Math.max(0, Math.min(query.wait * 1000, remainingMs - ANSWER_MARGIN_MS));
  const asked = { after: query.after, types: parseTypes(query.types), limit: query.limit, drafts: query.drafts };
  return waitForFeed(db, scope, asked, waitMs, recheck);
}
