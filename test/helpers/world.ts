import type { ConnectionPool } from '@databases/pg';
import { afterAll, beforeAll } from 'vitest';
import { closeDb } from '../../lib/infra/db';
import { orgWithMembers, testPool } from './factories';

export type World = Awaited<ReturnType<typeof orgWithMembers>>;

/** A pool of the test file's own, closed after its tests together with the handlers' pool. */
export function usePool(): ConnectionPool {
  const pool = testPool();
  afterAll(async () => {
    await closeDb();
    await pool.dispose();
  });
  return pool;
}

/**
 * The preamble of a test file on the database: its pool, and a fresh org with members (see `orgWithMembers`) made
 * before its tests. Call it at the top of the file, so that the file's own hooks run after the world is made.
 */
export function useWorld(): { pool: ConnectionPool; world: World } {
  const pool = usePool();
  let made: World | undefined;
  beforeAll(async () => {
    made = await orgWithMembers(pool);
  });
  // the world exists only once beforeAll has run; a proxy lets the file hold it in a const from the start
  const world = new Proxy({} as World, {
    get(_, key) {
      if (!made) throw new Error('the world is made in beforeAll: read it in a hook or a test');
      return made[key as keyof World];
    },
  });
  return { pool, world };
}
