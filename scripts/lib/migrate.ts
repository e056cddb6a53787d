import pg from 'pg';
import { MIGRATIONS_DIR, migrationFiles, NOT_A_MIGRATION } from '../../lib/infra/migrations';

// node-pg-migrate's own lock is a try-lock that fails the second process; ours waits for the first to finish
const MIGRATION_LOCK = 7_241_865_325_823_965;

/** An applied migration that is no longer what was applied: the process stops, with this one line. */
export class MigrationChanged extends Error {
  override name = 'MigrationChanged';
}

/**
 * Refuses a database whose applied migrations are not the files of this version: one applied here whose file is
 * gone, one whose file changed since it was applied (each file's SHA-256 is recorded when it is applied), or a new
 * file placed before one that is applied (it would never run here). Migrations applied before checksums were kept are
 * recorded as they are now. As @databases/pg-migrations does: a landed migration is never edited.
 */
async function checkApplied(client: pg.Client, files: Map<string, string>): Promise<void> {
  await refuseNewer(client, files);
  await client.query(`CREATE TABLE IF NOT EXISTS pgmigrations_checksums (
    name text PRIMARY KEY,
    sha256 text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
  )`);
  const { rows: tables } = await client.query("SELECT to_regclass('pgmigrations') IS NOT NULL AS migrated");
  if (!tables[0]?.migrated) return;
  const { rows } = await client.query<{ name: string; sha256: string | null }>(`
    SELECT m.name, c.sha256 FROM pgmigrations m LEFT JOIN pgmigrations_checksums c ON c.name = m.name
    ORDER BY m.run_on, m.id`);
  const names = [...files.keys()];
  const last = Math.max(-1, ...rows.map((row) => names.indexOf(row.name)));
  for (const row of rows) {
    const file = `migrations/${row.name}.sql`;
    const sha256 = files.get(row.name);
    if (sha256 === undefined) {
      throw new MigrationChanged(
        `${file} was applied to this database but is gone from this version: run the version that has it, or restore the file`,
      );
    }
    if (row.sha256 !== null && row.sha256 !== sha256) {
      throw new MigrationChanged(
        `${file} was changed after it was applied to this database (sha256 ${row.sha256.slice(0, 12)}… then, ${sha256.slice(0, 12)}… now): an applied migration is never edited; restore it and put the change in a new migration`,
      );
    }
  }
  const applied = new Set(rows.map((row) => row.name));
  const skipped = names.slice(0, last + 1).find((name) => !applied.has(name));
  if (skipped) {
    throw new MigrationChanged(
      `migrations/${skipped}.sql comes before migrations that are already applied to this database, so it would never run: number it after the last applied one`,
    );
  }
  await record(
    client,
    rows.filter((row) => row.sha256 === null).map((row) => row.name),
    files,
  );
}

/**
 * Refuses, before anything is written, a database that a newer version migrated: its newest applied migration comes
 * after this version's newest (the numbers order them), so this code does not know its schema.
 */
async function refuseNewer(client: pg.Client, files: Map<string, string>): Promise<void> {
  const { rows: tables } = await client.query("SELECT to_regclass('pgmigrations') IS NOT NULL AS migrated");
  if (!tables[0]?.migrated) return;
  const { rows } = await client.query<{ name: string }>('SELECT name FROM pgmigrations');
  // in the order of the files' names (code units), not the database's collation
  const applied = rows
    .map((row) => row.name)
    .sort()
    .at(-1);
  const newest = [...files.keys()].at(-1);
  if (applied === undefined || newest === undefined || applied <= newest) return;
  throw new MigrationChanged(
    `this database is at migration ${applied}, newer than this version's newest (${newest}): a newer version of gitweave-releases migrated it, so run that version or a later one on it; nothing was changed`,
  );
}

/** Refuses a database that a newer version migrated (`MigrationChanged`), as `migrate` does; changes nothing. */
export async function refuseNewerDatabase(databaseUrl: string, dir = MIGRATIONS_DIR): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'gitweave-releases migrate' });
  await client.connect();
  try {
    await refuseNewer(client, migrationFiles(dir));
  } finally {
    await client.end();
  }
}

async function record(client: pg.Client, names: string[], files: Map<string, string>): Promise<void> {
  if (names.length === 0) return;
  await client.query(
    `INSERT INTO pgmigrations_checksums (name, sha256) SELECT * FROM unnest($1::text[], $2::text[])
     ON CONFLICT (name) DO NOTHING`,
    [names, names.map((name) => files.get(name))],
  );
}

/** How many migrations not applied yet come up to `to` and with it (a name among `files`). */
async function pendingThrough(client: pg.Client, files: Map<string, string>, to: string): Promise<number> {
  const names = [...files.keys()];
  const last = names.indexOf(to);
  if (last < 0) throw new Error(`migrations/${to}.sql: no such migration`);
  const { rows: tables } = await client.query("SELECT to_regclass('pgmigrations') IS NOT NULL AS migrated");
  const applied = new Set<string>();
  if (tables[0]?.migrated) {
    const { rows } = await client.query<{ name: string }>('SELECT name FROM pgmigrations');
    for (const row of rows) applied.add(row.name);
  }
  return names.slice(0, last + 1).filter((name) => !applied.has(name)).length;
}

/**
 * Applies every pending migration in `migrations/` to `databaseUrl`, in one transaction, under a blocking
 * advisory lock so that two processes starting at once apply them once, after checking that the migrations already
 * applied are the files of this version (`MigrationChanged` otherwise). Returns the names applied. `dir`: where the
 * migrations are (tests use a copy); `to`: the last migration to apply (a name such as `0016_metrics_indexes`), so that
 * a test can put data in a database as it was before a migration and see what the migration makes of it.
 */
export async function migrate(
  databaseUrl: string,
  log: (line: string) => void = () => undefined,
  dir = MIGRATIONS_DIR,
  to?: string,
): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'gitweave-releases migrate' });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const files = migrationFiles(dir);
    await checkApplied(client, files);
    const last = to ?? [...files.keys()].at(-1);
    if (last === undefined) return [];
    const count = await pendingThrough(client, files, last);
    if (count === 0) return [];
    // loaded only when there is something to apply: most starts have nothing, and its import is a tenth of a start
    const { runner } = await import('node-pg-migrate');
    const applied = await runner({
      dbClient: client,
      dir,
      direction: 'up',
      ...(to === undefined ? {} : { count }),
      migrationsTable: 'pgmigrations',
      ignorePattern: NOT_A_MIGRATION.source.slice(1, -1),
      checkOrder: true,
      singleTransaction: true,
      noLock: true,
      log: () => undefined,
    });
    await record(
      client,
      applied.map((migration) => migration.name),
      files,
    );
    for (const migration of applied) log(`migrated: ${migration.name}`);
    return applied.map((migration) => migration.name);
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await client.end();
  }
}
