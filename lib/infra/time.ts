/** A time from Postgres (a Date, or text inside JSON it built) as the API shows times: ISO 8601 in UTC. */
export function isoTime(value: unknown): string {
  return new Date(value as string | Date).toISOString();
}
