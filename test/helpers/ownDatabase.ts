import { randomBytes } from 'node:crypto';
import createConnectionPool, { type ConnectionPool } from '@databases/pg';
import pg from 'pg';
import { migrate } from '../../scripts/lib/migrate';

export interface OwnDatabase {
  url: string;
  pool: ConnectionPool;
  /** applies the migrations after the level it was made at, up to `to` (all by default) */
  migrate(to?: string): Promise<string[]>;
  /** closes the pool and drops the database */
  drop(): Promise<void>;
}

/**
 * A migrated database of the test's own beside the run's (same server): for tests of the webhook deliverer, whose
 * claims span every org, so that no other deliverer of the run (the e2e server's) takes their deliveries; and for
 * tests of what a migration does to data, made at the level before it (`to`: the last migration applied).
 */
export async function ownDatabase(runUrl: string, options: { to?: string } = {}): Promise<OwnDatabase> {
  const name = `gitweave_own_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: runUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(runUrl);
  url.pathname = `/${name}`;
  await migrate(url.href, undefined, undefined, options.to);
  const pool = createConnectionPool({ connectionString: url.href, bigIntMode: 'number', poolSize: 5 });
  return {
    url: url.href,
    pool,
    migrate: (to) => migrate(url.href, undefined, undefined, to),
    async drop() {
      await pool.dispose();
      const client = new pg.Client({ connectionString: runUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
