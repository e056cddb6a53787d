import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import pg from 'pg';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');
// node-pg-migrate's own lock is a try-lock that fails the second process; ours waits for the first to finish
const MIGRATION_LOCK = 7_241_865_325_823_965;

/**
 * Applies every pending migration in `migrations/` to `databaseUrl`, in one transaction, under a blocking
 * advisory lock so that two processes starting at once apply them once. Returns the names applied.
 */
export async function migrate(databaseUrl: string, log: (line: string) => void = () => undefined): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'gitweave-releases migrate' });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const applied = await runner({
      dbClient: client,
      dir: MIGRATIONS_DIR,
      direction: 'up',
      migrationsTable: 'pgmigrations',
      // dotfiles (the default) and the folder's README are not migrations
      ignorePattern: '(?:\\..*|README\\.md)',
      checkOrder: true,
      singleTransaction: true,
      noLock: true,
      log: () => undefined,
    });
    for (const migration of applied) log(`migrated: ${migration.name}`);
    return applied.map((migration) => migration.name);
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await client.end();
  }
}
