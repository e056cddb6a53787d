import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { MIGRATIONS_DIR } from '../../lib/infra/migrations';
import {
  BackupError,
  connect,
  FILES_DIR,
  type Manifest,
  type Progress,
  quoteIdent,
  type TableEntry,
  tablesOf,
} from './backup';
import { withoutFields } from './copyFields';
import { copyWithDigest, isEmptyDir } from './files';
import { migrate } from './migrate';
import { checkBackup, readManifest } from './restoreChecks';
import { dropIndexes } from './restoreIndexes';

/** Whether the database holds anything of its own: any table, view, sequence, type or function outside the catalogs. */
async function databaseIsEmpty(databaseUrl: string): Promise<boolean> {
  const client = await connect(databaseUrl, 'gitweave-releases restore');
  try {
    const { rows } = await client.query(`
      SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
                       AND n.nspname NOT LIKE 'pg_temp%')
          OR EXISTS (SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND t.typtype IN ('e', 'd', 'r'))
          OR EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema'))
          AS used`);
    return !rows[0]?.used;
  } finally {
    await client.end();
  }
}

/** Migrations of this version up to and including `level`, copied into a folder of their own for `migrate`. */
function migrationsUpTo(backup: Manifest): string {
  const files = fs
    .readdirSync(MIGRATIONS_DIR)
    .filter((file) => file.endsWith('.sql'))
    .sort();
  const names = files.map((file) => file.replace(/\.sql$/, ''));
  const unknown = backup.migrations.find((name) => !names.includes(name));
  if (unknown !== undefined) {
    throw new BackupError(
      `The backup was made at migration ${unknown}, which this version does not have: restore it with the version that made it, or a later one. Nothing was changed.`,
    );
  }
  const first = names.slice(0, backup.migrations.length);
  if (first.join() !== backup.migrations.join()) {
    throw new BackupError(
      `The backup's migrations (${backup.migrations.join(', ')}) are not the first ones of this version (${first.join(', ')}): restore it with the version that made it. Nothing was changed.`,
    );
  }
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'gitweave-restore-migrations-'));
  for (const file of files.slice(0, backup.migrations.length)) {
    fs.copyFileSync(path.join(MIGRATIONS_DIR, file), path.join(folder, file));
  }
  return folder;
}

/** Streams the backup's file of one table into it with COPY FROM STDIN, checking its digest again as it is read. */
async function copyIn(client: pg.Client, dir: string, entry: TableEntry, leaveOut: string[] = []): Promise<number> {
  const hash = createHash('sha256');
  const columns = entry.columns.filter((column) => !leaveOut.includes(column));
  const target = client.query(
    copyFrom(`COPY ${quoteIdent(entry.table)} (${columns.map(quoteIdent).join(', ')}) FROM STDIN`),
  );
  const hashed = async function* (chunks: AsyncIterable<Buffer>) {
    for await (const chunk of chunks) {
      hash.update(chunk);
      yield chunk;
    }
  };
  const source = fs.createReadStream(path.join(dir, entry.file));
  if (leaveOut.length) {
    const cut = withoutFields(leaveOut.map((column) => entry.columns.indexOf(column)));
    await pipeline(source, hashed, cut, target);
  } else await pipeline(source, hashed, target);
  if (hash.digest('hex') !== entry.sha256) {
    throw new BackupError(
      `The backup's ${entry.file} changed while it was being restored; nothing was changed. Restore from an intact backup.`,
    );
  }
  return target.rowCount;
}

/**
 * Loads every table of the backup into a database migrated to the backup's level, in one transaction: triggers off
 * (session_replication_role = replica), so nothing is derived twice from rows that already hold what was derived;
 * then the sequences and identities set as the backup read them, and every table's row count checked.
 */
async function load(databaseUrl: string, dir: string, manifest: Manifest, progress: Progress): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'gitweave-releases restore' });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query("SET LOCAL session_replication_role = 'replica'").catch((err: Error) => {
      throw new BackupError(
        `Restore loads the tables with triggers off (session_replication_role), which this database user may not set (${err.message}): restore as a superuser, or GRANT SET ON PARAMETER session_replication_role to this user. The database holds the schema only: drop it and create it again before restoring.`,
      );
    });
    const made = new Map((await tablesOf(client)).map((entry) => [entry.table, entry.columns]));
    for (const entry of manifest.tables) {
      const columns = made.get(entry.table);
      if (!columns || columns.join() !== entry.columns.join()) {
        throw new BackupError(
          `The backup's table ${entry.table} (${entry.columns.join(', ')}) is not the table its migration level makes here (${columns?.join(', ') ?? 'none'}); nothing was restored.`,
        );
      }
    }
    const { rows: horizonRows } = await client.query('SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS horizon');
    const { horizon } = horizonRows[0] as { horizon: string };
    const renumber = manifest.maxEventTxid !== null && BigInt(manifest.maxEventTxid) >= BigInt(horizon);
    // index builds sort in memory up to this, then on disk; the server's default (64 MB) spills at this size
    await client.query("SET LOCAL maintenance_work_mem = '256MB'");
    const buildIndexes = await dropIndexes(
      client,
      manifest.tables.map((entry) => entry.table),
    );
    for (const entry of manifest.tables) {
      // renumbered: loaded without their txid and seq, so that each restored event takes the column defaults, the
      // restoring transaction's id and the next seq in the backup's order (each feed's order)
      const rows = await copyIn(client, dir, entry, renumber && entry.table === 'events' ? ['txid', 'seq'] : []);
      if (rows !== entry.rows) {
        throw new BackupError(
          `The backup's ${entry.file} loaded ${rows} rows, its manifest says ${entry.rows}; nothing was restored.`,
        );
      }
      progress(`table ${entry.table}: ${rows} rows`);
    }
    const started = performance.now();
    await buildIndexes();
    progress(`indexes built again (${Math.round(performance.now() - started)} ms)`);
    for (const sequence of manifest.sequences) {
      await client.query('SELECT setval($1::regclass, $2::bigint, $3)', [
        quoteIdent(sequence.name),
        sequence.lastValue,
        sequence.isCalled,
      ]);
    }
    for (const entry of manifest.tables) {
      const { rows } = await client.query(`SELECT count(*)::bigint::text AS n FROM ${quoteIdent(entry.table)}`);
      if (Number(rows[0].n) !== entry.rows) {
        throw new BackupError(
          `Table ${entry.table} holds ${rows[0].n} rows after loading, its manifest says ${entry.rows}; nothing was restored.`,
        );
      }
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Restores the backup in `source` into an empty database and an empty (or missing) `artifactsDir`, with no client
 * tools. Every file of the backup is checked against its manifest first, and both targets are checked to be empty, so
 * a damaged backup or a wrong target stops before anything is changed. The database is migrated to the backup's
 * level, every table loaded in one transaction, then the later migrations applied; then the files are copied, each
 * hashed again as it is written.
 */
export async function restore(
  databaseUrl: string,
  artifactsDir: string,
  source: string,
  progress: Progress = () => undefined,
) {
  const dir = path.resolve(source);
  const manifest = await readManifest(dir);
  await checkBackup(dir, manifest);
  if (!(await databaseIsEmpty(databaseUrl))) {
    throw new BackupError(
      'The database to restore into is not empty; create an empty one (createdb) and point DATABASE_URL at it, or ' +
        'with the embedded Postgres move ./data/postgres away first. Nothing was changed.',
    );
  }
  if (!(await isEmptyDir(artifactsDir))) {
    throw new BackupError(
      `The artifacts folder ${artifactsDir} is not empty; set ARTIFACTS_DIR to a new or empty folder, or move this ` +
        'one away. Nothing was changed.',
    );
  }
  const levelDir = migrationsUpTo(manifest);
  try {
    await migrate(databaseUrl, () => undefined, levelDir);
  } finally {
    fs.rmSync(levelDir, { recursive: true, force: true });
  }
  await load(databaseUrl, dir, manifest, progress);
  const later = await migrate(databaseUrl);
  for (const name of later) progress(`migrated: ${name}`);
  let bytes = 0;
  for (const entry of manifest.artifacts) {
    const copied = await copyWithDigest(
      path.join(dir, FILES_DIR, entry.path),
      path.join(artifactsDir, entry.path),
    ).then(
      (digest) => (digest.sha256 === entry.sha256 && digest.sizeBytes === entry.sizeBytes ? digest : null),
      (err: Error) => {
        throw new Error(
          `Restoring the files stopped at ${entry.path} (${err.message}): the database is restored and ${artifactsDir} ` +
            'only partly filled; empty both and run restore again.',
        );
      },
    );
    if (!copied) {
      throw new BackupError(
        `The backup's ${FILES_DIR}/${entry.path} changed while it was being restored: the database is restored and ` +
          `${artifactsDir} only partly filled; empty both and restore from an intact backup.`,
      );
    }
    bytes += copied.sizeBytes;
    progress(`artifact ${entry.path}: ${copied.sizeBytes} bytes`);
  }
  return {
    restored: true,
    createdAt: manifest.createdAt,
    serverVersion: manifest.serverVersion,
    migration: manifest.migration,
    migrated: later,
    tables: manifest.tables.length,
    rows: manifest.tables.reduce((sum, entry) => sum + entry.rows, 0),
    artifacts: manifest.artifacts.length,
    bytes,
  };
}
