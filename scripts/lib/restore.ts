import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { MIGRATIONS_DIR } from '../../lib/infra/migrations';
import {
  BackupError,
  connect,
  FILES_DIR,
  FORMAT,
  MANIFEST_FILE,
  type Manifest,
  type Progress,
  quoteIdent,
  TABLES_DIR,
  type TableEntry,
  tablesOf,
} from './backup';
import { copyWithDigest, type Digest, digestPath, isEmptyDir, listFiles } from './files';
import { migrate } from './migrate';

const SHA256 = /^[0-9a-f]{64}$/;

/** A path the manifest may name: relative, normalised, no `..`, under repos/ or builds/ (never outside the volume). */
function isVolumePath(relative: unknown): relative is string {
  return (
    typeof relative === 'string' &&
    !relative.includes('\\') &&
    !relative.includes('\0') &&
    path.posix.normalize(relative) === relative &&
    !relative.split('/').includes('..') &&
    /^(repos|builds)\/[^/]/.test(relative)
  );
}

function isDigest(value: unknown): value is Digest {
  const digest = value as Partial<Digest> | null;
  return (
    typeof digest?.sha256 === 'string' &&
    SHA256.test(digest.sha256) &&
    Number.isSafeInteger(digest.sizeBytes) &&
    (digest.sizeBytes ?? -1) >= 0
  );
}

const NAME = /^[a-z_][a-z0-9_]*$/;

function isTableEntry(entry: Partial<TableEntry> | null): entry is TableEntry {
  return (
    typeof entry?.table === 'string' &&
    NAME.test(entry.table) &&
    entry.file === `${TABLES_DIR}/${entry.table}.copy` &&
    Array.isArray(entry.columns) &&
    entry.columns.length > 0 &&
    entry.columns.every((column) => typeof column === 'string' && NAME.test(column)) &&
    Number.isSafeInteger(entry.rows) &&
    isDigest(entry)
  );
}

async function readManifest(dir: string): Promise<Manifest> {
  const file = path.join(dir, MANIFEST_FILE);
  const text = await fs.promises.readFile(file, 'utf8').catch(() => {
    throw new BackupError(`${file} is missing: ${dir} is not a backup, or its backup did not finish.`);
  });
  let manifest: Manifest;
  try {
    manifest = JSON.parse(text);
  } catch {
    throw new BackupError(`${file} is not valid JSON: the backup is damaged; nothing was changed.`);
  }
  if ((manifest as { format?: string })?.format === 'gitweave-releases-backup/1') {
    throw new BackupError(
      `${dir} was made by an earlier version with pg_dump: load its database.dump with pg_restore --single-transaction into an empty database, copy its artifacts/ folder into ARTIFACTS_DIR, then run npm run migrate. Nothing was changed.`,
    );
  }
  const paths = new Set(manifest?.artifacts?.map((entry) => entry.path));
  const valid =
    manifest?.format === FORMAT &&
    Number.isInteger(manifest.serverVersionNum) &&
    Array.isArray(manifest.migrations) &&
    manifest.migrations.every((name) => typeof name === 'string') &&
    Array.isArray(manifest.tables) &&
    manifest.tables.every(isTableEntry) &&
    new Set(manifest.tables.map((entry) => entry.table)).size === manifest.tables.length &&
    Array.isArray(manifest.sequences) &&
    manifest.sequences.every(
      (entry) => NAME.test(entry?.name) && /^-?\d+$/.test(entry.lastValue) && typeof entry.isCalled === 'boolean',
    ) &&
    (manifest.maxEventTxid === null || /^\d+$/.test(manifest.maxEventTxid)) &&
    Array.isArray(manifest.artifacts) &&
    paths.size === manifest.artifacts.length &&
    manifest.artifacts.every((entry) => isVolumePath(entry.path) && isDigest(entry));
  if (!valid) throw new BackupError(`${file} is not a manifest this version can read; nothing was changed.`);
  return manifest;
}

/** Every file of the backup against the manifest, before anything is changed; throws naming the first that fails. */
async function checkBackup(dir: string, manifest: Manifest): Promise<void> {
  const expected = [
    ...manifest.tables.map((entry) => ({ file: entry.file, digest: entry as Digest })),
    ...manifest.artifacts.map((entry) => ({ file: `${FILES_DIR}/${entry.path}`, digest: entry as Digest })),
  ];
  for (const { file, digest } of expected) {
    const found = await digestPath(path.join(dir, file));
    if (!found) throw new BackupError(`The backup's ${file} is missing from ${dir}; nothing was changed.`);
    if (found.sizeBytes !== digest.sizeBytes || found.sha256 !== digest.sha256) {
      throw new BackupError(
        `The backup's ${file} failed its check (${found.sizeBytes} bytes, sha256 ${found.sha256}; the manifest says ` +
          `${digest.sizeBytes} bytes, sha256 ${digest.sha256}): the backup is damaged; nothing was changed.`,
      );
    }
  }
  const listed = new Set(manifest.artifacts.map((entry) => entry.path));
  const tableFiles = new Set(manifest.tables.map((entry) => entry.file));
  const strayTable = (await listFiles(path.join(dir, TABLES_DIR))).find(
    (file) => !tableFiles.has(`${TABLES_DIR}/${file}`),
  );
  if (strayTable !== undefined) {
    throw new BackupError(
      `The backup's ${TABLES_DIR}/${strayTable} is not in its manifest: the backup was altered; nothing was changed.`,
    );
  }
  const extra = (await listFiles(path.join(dir, FILES_DIR))).find((file) => !listed.has(file));
  if (extra !== undefined) {
    throw new BackupError(
      `The backup's ${FILES_DIR}/${extra} is not in its manifest: the backup was altered; nothing was changed.`,
    );
  }
}

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

/**
 * Lines of a text-format COPY of events in feed order, each given the restoring transaction's txid and the next
 * seq: a cluster whose transaction ids have not reached the backup's would otherwise hide them behind
 * pg_snapshot_xmin and sort every new event before them.
 */
function renumberEvents(columns: string[], txid: string) {
  const txidAt = columns.indexOf('txid');
  const seqAt = columns.indexOf('seq');
  let seq = 0;
  let rest = '';
  // a chunk may end inside a character: the decoder keeps its first bytes for the next
  const decoder = new StringDecoder('utf8');
  return async function* (chunks: AsyncIterable<Buffer>) {
    for await (const chunk of chunks) {
      const lines = (rest + decoder.write(chunk)).split('\n');
      rest = lines.pop() ?? '';
      const out: string[] = [];
      for (const line of lines) {
        const fields = line.split('\t');
        fields[txidAt] = txid;
        fields[seqAt] = String(++seq);
        out.push(fields.join('\t'));
      }
      if (out.length) yield `${out.join('\n')}\n`;
    }
    rest += decoder.end();
    if (rest) throw new Error('the events file ends inside a row');
  };
}

/** Streams the backup's file of one table into it with COPY FROM STDIN, checking its digest again as it is read. */
async function copyIn(
  client: pg.Client,
  dir: string,
  entry: TableEntry,
  transform?: (chunks: AsyncIterable<Buffer>) => AsyncIterable<string | Buffer>,
): Promise<number> {
  const hash = createHash('sha256');
  const target = client.query(
    copyFrom(`COPY ${quoteIdent(entry.table)} (${entry.columns.map(quoteIdent).join(', ')}) FROM STDIN`),
  );
  const hashed = async function* (chunks: AsyncIterable<Buffer>) {
    for await (const chunk of chunks) {
      hash.update(chunk);
      yield chunk;
    }
  };
  const source = fs.createReadStream(path.join(dir, entry.file));
  if (transform) await pipeline(source, hashed, transform, target);
  else await pipeline(source, hashed, target);
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
    const { rows: horizonRows } = await client.query(
      'SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS horizon, pg_current_xact_id()::text AS txid',
    );
    const { horizon, txid } = horizonRows[0] as { horizon: string; txid: string };
    const renumber = manifest.maxEventTxid !== null && BigInt(manifest.maxEventTxid) >= BigInt(horizon);
    for (const entry of manifest.tables) {
      const transform = renumber && entry.table === 'events' ? renumberEvents(entry.columns, txid) : undefined;
      const rows = await copyIn(client, dir, entry, transform);
      if (rows !== entry.rows) {
        throw new BackupError(
          `The backup's ${entry.file} loaded ${rows} rows, its manifest says ${entry.rows}; nothing was restored.`,
        );
      }
      progress(`table ${entry.table}: ${rows} rows`);
    }
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
