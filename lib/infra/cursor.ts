import type { Row } from './db';
import { BadRequest } from './errors';
import { isUuid } from './ids';

/**
 * Opaque keyset cursors: the sort key of the last row of a page, tagged with the ordering it belongs to, as
 * base64url JSON. Clients must treat them as opaque; a cursor of another ordering or a forged one is a 400.
 */
export function encodeCursor(ordering: string, key: readonly string[]): string {
  return Buffer.from(JSON.stringify([ordering, ...key]), 'utf8').toString('base64url');
}

/** The 400 of a cursor that this list did not issue (sent as the query parameter at `path`). */
export function invalidCursor(path = '/query/cursor'): BadRequest {
  return new BadRequest('The cursor is not valid: pass nextCursor from a previous page unchanged.', [
    { path, message: 'is not a cursor this list issued' },
  ]);
}

/** NUL or a lone surrogate in a part: Postgres text cannot hold the one, the driver would mangle the other. */
function storablePart(part: unknown): part is string {
  return (
    typeof part === 'string' &&
    !part.includes('\u0000') &&
    (part as string & { isWellFormed(): boolean }).isWellFormed()
  );
}

/**
 * The key inside `cursor`, which must have been issued for `ordering` with `length` parts; every part is a string
 * Postgres can take, so a forged cursor is a 400 here and never an error in SQL.
 */
export function decodeCursor(ordering: string, cursor: string, length: number, path?: string): string[] {
  if (!/^[A-Za-z0-9_-]{1,1024}$/.test(cursor)) throw invalidCursor(path);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor(path);
  }
  if (!Array.isArray(parsed) || parsed.length !== length + 1 || parsed[0] !== ordering) throw invalidCursor(path);
  const key = parsed.slice(1);
  if (!key.every(storablePart)) throw invalidCursor(path);
  return key;
}

/** A (time, id) keyset position, the ordering of every newest-first list. */
export interface TimePosition {
  at: Date;
  id: string;
}

export function encodeTimeCursor(ordering: string, position: TimePosition): string {
  return encodeCursor(ordering, [position.at.toISOString(), position.id]);
}

// years 1–9999 only: JS dates reach 271821 BC, which timestamptz (4713 BC on) refuses, and no row is that old
const ISSUED_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

export function decodeTimeCursor(ordering: string, cursor: string): TimePosition {
  const [at, id] = decodeCursor(ordering, cursor, 2) as [string, string];
  const time = new Date(at);
  if (!isUuid(id) || !ISSUED_TIME.test(at) || at.startsWith('0000') || time.toISOString() !== at) throw invalidCursor();
  return { at: time, id };
}

/**
 * One page of a keyset-paginated list from rows fetched with `LIMIT limit + 1`: the first `limit` rows as items,
 * and a cursor from the last item's row when an extra row showed there is a next page.
 */
export function keysetPage<T>(
  rows: Row[],
  limit: number,
  toItem: (row: Row) => T,
  cursorOf: (lastRow: Row) => string,
): { items: T[]; nextCursor: string | null } {
  const last = rows.length > limit ? rows[limit - 1] : undefined;
  return { items: rows.slice(0, limit).map(toItem), nextCursor: last ? cursorOf(last) : null };
}
