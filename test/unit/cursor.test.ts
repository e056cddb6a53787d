import { describe, expect, it } from 'vitest';
import { decodeCursor, decodeTimeCursor, encodeCursor, encodeTimeCursor, keysetPage } from '../../lib/infra/cursor';
import { BadRequest } from '../../lib/infra/errors';

const position = { at: new Date('2026-11-28T03:21:38.123Z'), id: '11111111-1111-4111-8111-111111111111' };

describe('time cursors', () => {
  it('round-trips a position to the millisecond', () => {
    const cursor = encodeTimeCursor('releases', position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeTimeCursor('releases', cursor)).toEqual(position);
  });

  it('refuses a cursor issued for another list', () => {
    const cursor = encodeTimeCursor('artifacts', position);
    expect(() => decodeTimeCursor('releases', cursor)).toThrow(BadRequest);
  });

  it.each([
    ['garbage', 'not a cursor!'],
    ['base64 of non-JSON', Buffer.from('hello').toString('base64url')],
    ['a JSON object', Buffer.from('{"a":1}').toString('base64url')],
    ['too few parts', encodeCursor('releases', ['2026-11-28T03:21:38.123Z'])],
    ['a bad time', encodeCursor('releases', ['yesterday', position.id])],
    ['a non-canonical time', encodeCursor('releases', ['2026-11-28', position.id])],
    ['a bad id', encodeCursor('releases', [position.at.toISOString(), "1' OR 1=1"])],
    ['a number for a part', Buffer.from(JSON.stringify(['releases', 1, 2])).toString('base64url')],
    ['an oversized cursor', 'A'.repeat(1025)],
    ['a time with characters after it', encodeCursor('releases', [`${position.at.toISOString()}x`, position.id])],
    ['a day that does not exist', encodeCursor('releases', ['2026-02-30T00:00:00.000Z', position.id])],
  ])('refuses %s with a 400 that names the cursor', (_, cursor) => {
    try {
      decodeTimeCursor('releases', cursor);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(BadRequest);
      expect((err as BadRequest).errors).toEqual([
        { path: '/query/cursor', message: 'is not a cursor this list issued' },
      ]);
    }
  });
});

describe('cursor parts', () => {
  it.each([
    ['NUL', 'a\u0000b'],
    ['a lone surrogate', 'a\ud800b'],
  ])('refuses a part with %s, which Postgres text cannot hold, as a 400', (_, part) => {
    const cursor = encodeCursor('releases-by-version', [part, position.id]);
    expect(() => decodeCursor('releases-by-version', cursor, 2)).toThrow(BadRequest);
  });

  it.each([
    ['before year 1', '-271821-04-20T00:00:00.000Z'],
    ['in year 0', '0000-06-01T00:00:00.000Z'],
    ['after year 9999', '+275760-09-13T00:00:00.000Z'],
  ])('refuses a time %s, out of what timestamptz holds or any row has, as a 400', (_, at) => {
    expect(new Date(at).toISOString()).toBe(at);
    expect(() => decodeTimeCursor('releases', encodeCursor('releases', [at, position.id]))).toThrow(BadRequest);
  });
});

describe('cursors as sent', () => {
  const cursor = encodeCursor('releases-by-version', ['1.2.3', position.id]);

  it('tells the client what to send instead', () => {
    expect(() => decodeCursor('releases-by-version', '!', 2)).toThrow(
      'The cursor is not valid: pass nextCursor from a previous page unchanged.',
    );
  });

  it.each([
    ['a character outside base64url after it', `${cursor}!`],
    ['a character outside base64url before it', `!${cursor}`],
  ])('refuses a cursor with %s, though base64 decoding would skip it', (_, sent) => {
    expect(() => decodeCursor('releases-by-version', sent, 2)).toThrow(BadRequest);
  });

  it('refuses a cursor over 1 KiB, even one that decodes to a key', () => {
    const long = encodeCursor('releases-by-version', ['1'.repeat(800), position.id]);
    expect(long.length).toBeGreaterThan(1024);
    expect(() => decodeCursor('releases-by-version', long, 2)).toThrow(BadRequest);
  });

  it('refuses a cursor with more parts than its list issues', () => {
    const extra = encodeCursor('releases-by-version', ['1.2.3', position.id, 'more']);
    expect(() => decodeCursor('releases-by-version', extra, 2)).toThrow(BadRequest);
  });
});

describe('keysetPage', () => {
  const rows = [{ n: 1 }, { n: 2 }, { n: 3 }];
  const toItem = (row: Record<string, unknown>) => row.n;
  const cursorOf = (row: Record<string, unknown>) => `after-${row.n}`;

  it('gives the first limit rows and a cursor from the last of them when an extra row came back', () => {
    expect(keysetPage(rows, 2, toItem, cursorOf)).toEqual({ items: [1, 2], nextCursor: 'after-2' });
  });

  it('gives no cursor when no extra row came back', () => {
    expect(keysetPage(rows, 3, toItem, cursorOf)).toEqual({ items: [1, 2, 3], nextCursor: null });
    expect(keysetPage(rows.slice(0, 2), 3, toItem, cursorOf)).toEqual({ items: [1, 2], nextCursor: null });
  });
});
