import { describe, expect, it } from 'vitest';
import { libpqTarget, pgToolsFor } from '../../scripts/lib/pgTools';

describe('pgToolsFor', () => {
  it('stops in one line naming the major version it needs, what it found and how to provide the tools', async () => {
    const failure = await pgToolsFor(990_001).then(
      () => null,
      (err: Error) => err.message,
    );
    expect(failure).toMatch(
      /^The database runs PostgreSQL 99, and backup and restore need pg_dump and pg_restore of that major version \((found none|found only PostgreSQL \d+ in [^)]+)\): install them \(Debian: apt-get install postgresql-client-99 .*\) and set PG_BIN_DIR to their folder, or use a Postgres whose version matches your client tools through DATABASE_URL\.$/,
    );
  });
});

describe('libpqTarget', () => {
  it('moves the password out of the URL, where the process list would show it, into PGPASSWORD', () => {
    const { dbname, env } = libpqTarget('postgres://gitweave:s%40cret@db.example:5433/releases?sslmode=require');
    expect(dbname).toBe('postgres://gitweave@db.example:5433/releases?sslmode=require');
    expect(env.PGPASSWORD).toBe('s@cret');
  });
});
