import { eventTypes, type PublicEvent } from '../../schemas/events';
import { decodeCursor, encodeCursor, invalidCursor } from '../infra/cursor';
import { type Queryable, sql } from '../infra/db';
import { armNotice, eventsSubscribed, waitsEnded } from '../infra/notices';
import { type EventType, PUBLIC_EVENT_COLUMNS, PUBLIC_EVENT_SOURCE, publicEvent } from './events';

/** Whose events a feed reads: one repo's, or every event of one org (its repos' and its environments'). */
export interface FeedScope {
  kind: 'repo' | 'org';
  id: string;
  /** the org whose NOTIFYs wake a waiting reader (the repo's org for a repo feed) */
  orgId: string;
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
}

export interface FeedPage {
  items: PublicEvent[];
  nextCursor: string;
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

/**
 * One page of the feed of `scope`, oldest first after `query.after`, gap-free: events are ordered by their writing
 * transaction's id, then by their order in it, and only events of transactions below the snapshot's xmin (the
 * oldest transaction still in flight) are returned. A transaction that commits late always has a txid at or above
 * the xmin of every earlier read, so no reader has read past it; it holds back everything after it until then.
 * `nextCursor` is the resume point: the last event returned, or, when the page is not full, the horizon itself
 * (nothing below it is still to come). `heldBack` says that committed events exist past the horizon, waiting for an
 * older transaction to end.
 */
export async function readFeed(
  db: Queryable,
  scope: FeedScope,
  query: FeedQuery,
): Promise<FeedPage & { heldBack: boolean }> {
  const now = query.after === 'now';
  const from = query.after === undefined || now ? null : decodePosition(scope, query.after);
  const inScope = scope.kind === 'repo' ? sql`ev.repo_id = ${scope.id}` : sql`ev.org_id = ${scope.id}`;
  const after = from
    ? sql`(ev.txid, ev.seq) > (${from.txid}::xid8, ${from.seq}::bigint)`
    : now
      ? sql`false`
      : sql`true`;
  const types = query.types?.length ? sql`AND ev.type = ANY(${query.types}::text[])` : sql``;
  // one statement, so that the horizon is the xmin of the very snapshot the page was read with
  const rows = await db.query(sql`
    WITH horizon AS MATERIALIZED (
      SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin,
        (SELECT ev.txid FROM events ev WHERE ${inScope} ORDER BY ev.txid DESC, ev.seq DESC LIMIT 1) AS newest
    )
    SELECT h.xmin::text AS horizon, COALESCE(h.newest >= h.xmin, false) AS held_back, page.*
    FROM horizon h
    LEFT JOIN LATERAL (
      SELECT ${PUBLIC_EVENT_COLUMNS}
      FROM ${PUBLIC_EVENT_SOURCE}
      WHERE ${inScope} AND ${after} AND ev.txid < h.xmin ${types}
      ORDER BY ev.txid, ev.seq
      LIMIT ${query.limit + 1}
    ) page ON true
    ORDER BY page.txid::xid8, page.seq
  `);
  const events = rows.filter((row) => row.id !== null);
  const full = events.length > query.limit;
  const items = events.slice(0, query.limit);
  const last = items.at(-1);
  // a page that is not full has read everything below the horizon: the reader may resume from there
  const horizon: Position = { txid: rows[0]?.horizon, seq: '0' };
  let position = full && last ? { txid: last.txid as string, seq: String(last.seq) } : horizon;
  if (!full && from && compare(from, horizon) > 0) position = from;
  return {
    items: items.map(publicEvent),
    nextCursor: feedCursor(scope, position),
    heldBack: !full && Boolean(rows[0]?.held_back),
  };
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
 * for every waiter: a waiter holds none); where there is none, it reads again every second.
 */
async function waitForFeed(db: Queryable, scope: FeedScope, query: FeedQuery, waitMs: number): Promise<FeedPage> {
  const deadline = Date.now() + waitMs;
  let after = query.after;
  for (;;) {
    const notice = armNotice(scope.orgId);
    const page = await readFeed(db, scope, { ...query, after });
    const left = deadline - Date.now();
    if (page.items.length > 0 || left <= 0 || waitsEnded()) {
      notice.disarm();
      return { items: page.items, nextCursor: page.nextCursor };
    }
    after = page.nextCursor;
    await notice.wait(Math.min(left, page.heldBack ? HELD_BACK_MS : eventsSubscribed() ? left : POLL_MS));
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
 * left (`remainingMs`, minus a margin to answer in).
 */
export function feed(
  db: Queryable,
  scope: FeedScope,
  query: { after?: string; types?: string; limit: number; wait: number },
  remainingMs: number,
): Promise<FeedPage> {
  const waitMs = Math.max(0, Math.min(query.wait * 1000, remainingMs - ANSWER_MARGIN_MS));
  return waitForFeed(db, scope, { after: query.after, types: parseTypes(query.types), limit: query.limit }, waitMs);
}
