import { setTimeout as sleep } from 'node:timers/promises';
import { type ConnectionPool, sql } from '@databases/pg';

/**
 * Waits until every transaction that had started when it was called has ended, in the whole cluster. The feed
 * returns an event only once no older transaction is in flight (it could still write before it), and other test
 * files (or other databases on the same server) write too: a test that reads what it has just committed waits here
 * first, so that a stranger's open transaction cannot make it read too little.
 */
export async function feedSettled(pool: ConnectionPool): Promise<void> {
  const [{ xmax }] = await pool.query(sql`SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xmax`);
  for (;;) {
    const [{ done }] = await pool.query(sql`SELECT pg_snapshot_xmin(pg_current_snapshot()) >= ${xmax}::xid8 AS done`);
    if (done) return;
    await sleep(20);
  }
}
