import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoTime } from '../../lib/infra/time';

/** A timestamptz as Postgres writes it in JSON: seconds, a fraction of 0 to 6 digits (no trailing zeros), `±HH:MM`. */
function postgresText(ms: number, micros: number, offsetMinutes: number): string {
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 19);
  const fraction = `${String(ms % 1000).padStart(3, '0')}${String(micros).padStart(3, '0')}`.replace(/0+$/, '');
  const sign = offsetMinutes < 0 ? '-' : '+';
  const hours = String(Math.floor(Math.abs(offsetMinutes) / 60)).padStart(2, '0');
  const minutes = Math.abs(offsetMinutes) % 60;
  return `${local}${fraction ? `.${fraction}` : ''}${sign}${hours}:${String(minutes).padStart(2, '0')}`;
}

describe('isoTime', () => {
  it('gives what a Date gives for any time Postgres writes as text, in UTC or at any offset', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(9999, 11, 30) }),
        fc.integer({ min: 0, max: 999 }),
        fc.oneof(fc.constant(0), fc.integer({ min: -12 * 60, max: 14 * 60 })),
        (ms, micros, offset) => {
          const text = postgresText(ms, micros, offset);
          expect(isoTime(text)).toBe(new Date(text).toISOString());
          expect(isoTime(text)).toBe(new Date(ms).toISOString());
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('takes a Date as it is, and text with no fraction, a short fraction or a six-digit one', () => {
    expect(isoTime(new Date('2026-05-01T10:00:00.120Z'))).toBe('2026-05-01T10:00:00.120Z');
    expect(isoTime('2026-05-01T10:00:00+00:00')).toBe('2026-05-01T10:00:00.000Z');
    expect(isoTime('2026-05-01T10:00:00.5+00:00')).toBe('2026-05-01T10:00:00.500Z');
    expect(isoTime('2026-05-01T10:00:00.123999+00:00')).toBe('2026-05-01T10:00:00.123Z');
    expect(isoTime('2026-05-01T12:00:00.25+02:00')).toBe('2026-05-01T10:00:00.250Z');
  });
});
