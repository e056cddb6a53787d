import { describe, expect, it } from 'vitest';
import { decodeCursor, decodeTimeCursor, encodeCursor, encodeTimeCursor } from '../../lib/infra/cursor';
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
