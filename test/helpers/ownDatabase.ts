import { randomBytes } from 'node:crypto';
import createConnectionPool, { type ConnectionPool } from '@databases/pg';
import pg from 'pg';
import { migrate } from '../../scripts/lib/migrate';

export interface OwnDatabase {
  url: string;
  pool: ConnectionPool;
  /** closes the pool and drops the database */
  drop(): Promise<void>;
}

/**
 * A migrated database of the test's own beside the run's (same server): for tests of the webhook deliverer, whose
 * claims span every org, so that no other deliverer of the run (the e2e server's) takes their deliveries.
 */
export async function ownDatabase(runUrl: string): Promise<OwnDatabase> {
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
  await migrate(url.href);
  const pool = createConnectionPool({ connectionString: url.href, bigIntMode: 'number', poolSize: 5 });
  return {
    url: url.href,
    pool,
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
