/**
 * How Postgres writes a timestamptz in UTC as text (inside JSON it built, in a session whose TimeZone is UTC):
 * `2026-05-01T10:00:00.123456+00:00`, the fraction left out when it is zero.
 */
const UTC_TEXT = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?\+00:00$/;

/**
 * A time from Postgres (a Date, or text inside JSON it built) as the API shows times: ISO 8601 in UTC, to the
 * millisecond. Text already in UTC is cut to the millisecond as it is (a read shows dozens of these; parsing each
 * into a Date cost more than the rest of the answer's shaping); anything else goes through a Date, which gives the
 * same string.
 */
export function isoTime(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string') {
    const utc = UTC_TEXT.exec(value);
    if (utc) return `${utc[1]}.${(utc[2] ?? '').padEnd(3, '0').slice(0, 3)}Z`;
  }
  return new Date(value as string | Date).toISOString();
}
