import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { copyWithDigest, type Digest } from './files';

/** One table's data in the backup: `COPY table (columns) TO STDOUT` in text format, as written to `file`. */
export interface TableEntry extends Digest {
  table: string;
  file: string;
  columns: string[];
  rows: number;
}

/** What `backup` writes beside the tables and the files, and what `restore` checks every file against. */
export interface Manifest {
  format: typeof FORMAT;
  createdAt: string;
  /** `server_version` of the database copied, e.g. "17.6" */
  serverVersion: string;
  serverVersionNum: number;
  /** every migration applied in the snapshot, in order; the last is the backup's level */
  migrations: string[];
  migration: string | null;
  tables: TableEntry[];
  /** each sequence (identities included) as the snapshot's transaction read it */
  sequences: { name: string; lastValue: string; isCalled: boolean }[];
  /** the highest event txid in the snapshot: a cluster whose transactions have not got there must renumber them */
  maxEventTxid: string | null;
  /** every file the snapshot's artifact rows name, once per path, relative to ARTIFACTS_DIR (and to artifacts/ here) */
  artifacts: ({ path: string } & Digest)[];
}

export const FORMAT = 'gitweave-releases-backup/2';
export const MANIFEST_FILE = 'manifest.json';
export const TABLES_DIR = 'tables';
export const FILES_DIR = 'artifacts';
/** What the migrations keep for themselves: made again by migrating the target, never copied. */
const MIGRATION_TABLES = ['pgmigrations', 'pgmigrations_checksums'];
const IN_PROGRESS = '.backup-in-progress';

/** What a terminal is told as a backup or restore goes (nothing with --json or when stderr is not a terminal). */
export type Progress = (line: string) => void;

/** One line, naming what failed and what to do; nothing was changed where the message says so. */
export class BackupError extends Error {
  override name = 'BackupError';
}

interface ArtifactRow {
  id: string;
  path: string;
  size_bytes: string | number;
  sha256: string;
}

/** Opens one connection; the caller ends it. */
export async function connect(databaseUrl: string, applicationName: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: applicationName });
  await client.connect();
  return client;
}

/** One entry per path; rows sharing a path (the same upload twice) must agree on what the file holds. */
function filesOf(rows: ArtifactRow[]): Map<string, Digest & { ids: string[] }> {
  const files = new Map<string, Digest & { ids: string[] }>();
  for (const row of rows) {
    const digest = { sizeBytes: Number(row.size_bytes), sha256: row.sha256 };
    const known = files.get(row.path);
    if (!known) files.set(row.path, { ...digest, ids: [row.id] });
    else if (known.sha256 !== digest.sha256 || known.sizeBytes !== digest.sizeBytes) {
      throw new BackupError(
        `Artifacts ${known.ids[0]} and ${row.id} name the same file ${row.path} with different digests, so no copy ` +
          'can match both; run `npm run -s admin -- verify` and repair the rows before backing up.',
      );
    } else known.ids.push(row.id);
  }
  return files;
}

/** `"name"` for SQL; names come from the catalog. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Tables of the public schema the backup copies (all but the migrations' own), each with the columns it writes. */
export async function tablesOf(client: pg.Client): Promise<{ table: string; columns: string[] }[]> {
  const { rows } = await client.query<{ table: string; columns: string[] }>(
    `SELECT c.relname AS table,
            array_agg(a.attname::text ORDER BY a.attnum) AS columns
     FROM pg_class c
     JOIN pg_namespace n ON n.oid = c.relnamespace
     JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> ALL ($1::text[])
     GROUP BY c.relname ORDER BY c.relname`,
    [MIGRATION_TABLES],
  );
  return rows;
}

async function appliedMigrations(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query("SELECT to_regclass('pgmigrations') IS NOT NULL AS migrated");
  if (!rows[0]?.migrated) return [];
  const applied = await client.query<{ name: string }>('SELECT name FROM pgmigrations ORDER BY run_on, id');
  return applied.rows.map((row) => row.name);
}

/** Streams `COPY … TO STDOUT` into the new file `file`, hashing the bytes and counting the rows (one line each). */
async function copyOut(client: pg.Client, statement: string, file: string): Promise<Digest & { rows: number }> {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  let rows = 0;
  await pipeline(
    client.query(copyTo(statement)),
    async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        hash.update(chunk);
        sizeBytes += chunk.length;
        // text format escapes a newline inside a value (\n): each raw newline ends a row
        for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) rows++;
        yield chunk;
      }
    },
    createWriteStream(file, { flags: 'wx', flush: true }),
  );
  return { sizeBytes, sha256: hash.digest('hex'), rows };
}

function writeFailure(file: string, err: NodeJS.ErrnoException): BackupError {
  const cause = err.code === 'ENOSPC' ? 'the disk is full' : (err.code ?? err.message);
  return new BackupError(`Could not write ${file} (${cause}); the backup was removed.`);
}

/**
 * Writes a consistent backup of the database and the artifacts volume into `target` (missing or empty), with no
 * client tools: one REPEATABLE READ READ ONLY transaction reads every table with COPY (through pg-copy-streams), the
 * sequences, the migration level and the artifact rows, so writes may go on meanwhile and the backup holds exactly
 * what was committed when it began, and the files its rows name. Each file is hashed as it is copied and must match
 * its row. The manifest is written last: a folder without one is not a backup.
 */
export async function backup(
  databaseUrl: string,
  artifactsDir: string,
  target: string,
  progress: Progress = () => undefined,
): Promise<Manifest> {
  const dir = path.resolve(target);
  await fs.mkdir(dir, { recursive: true });
  const marker = path.join(dir, IN_PROGRESS);
  // taken before anything is written: a second backup into the same folder refuses instead of mixing with this one
  const held = await fs.writeFile(marker, String(process.pid), { flag: 'wx' }).then(
    () => true,
    () => false,
  );
  if (!held) throw new BackupError(`Another backup is being written into ${dir}; back up into a new or empty folder.`);
  if ((await fs.readdir(dir)).some((name) => name !== IN_PROGRESS)) {
    await fs.rm(marker, { force: true });
    throw new BackupError(`${dir} is not empty; back up into a new or empty folder.`);
  }
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'gitweave-releases backup' });
  try {
    await client.connect();
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    // now() is the transaction's start, and the first query takes the snapshot every later one reads
    const { rows: versionRows } = await client.query(
      "SELECT now() AS taken, current_setting('server_version') AS version, current_setting('server_version_num')::int AS num",
    );
    const {
      taken,
      version: serverVersion,
      num: serverVersionNum,
    } = versionRows[0] as {
      taken: Date;
      version: string;
      num: number;
    };
    const migrations = await appliedMigrations(client);
    const tables: TableEntry[] = [];
    await fs.mkdir(path.join(dir, TABLES_DIR));
    for (const { table, columns } of await tablesOf(client)) {
      const file = `${TABLES_DIR}/${table}.copy`;
      const list = columns.map(quoteIdent).join(', ');
      // events in each org's feed order (a repo's feed is part of its org's), so that a restore into another cluster
      // can renumber them in that order: read along the org feed's index, which costs what reading the table does,
      // where ordering the whole table by (txid, seq) sorted it on disk (1.8 GB at the bench's size: 0.6x the speed)
      const source =
        table === 'events'
          ? `(SELECT ${list} FROM events ORDER BY org_id, txid, seq)`
          : `${quoteIdent(table)} (${list})`;
      const copied = await copyOut(client, `COPY ${source} TO STDOUT`, path.join(dir, file)).catch(
        (err: NodeJS.ErrnoException) => {
          throw err.syscall ? writeFailure(path.join(dir, file), err) : err;
        },
      );
      tables.push({ table, file, columns, ...copied });
      progress(`table ${table}: ${copied.rows} rows, ${copied.sizeBytes} bytes`);
    }
    const { rows: sequenceRows } = await client.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind = 'S' ORDER BY c.relname`,
    );
    const sequences: Manifest['sequences'] = [];
    for (const { name } of sequenceRows) {
      const { rows } = await client.query(
        `SELECT last_value::text AS "lastValue", is_called AS "isCalled" FROM ${quoteIdent(name)}`,
      );
      sequences.push({ name, ...(rows[0] as { lastValue: string; isCalled: boolean }) });
    }
    const hasEvents = tables.some((entry) => entry.table === 'events');
    const maxEventTxid: string | null = hasEvents
      ? ((await client.query('SELECT max(txid)::text AS max FROM events')).rows[0]?.max ?? null)
      : null;
    const hasArtifacts = tables.some((entry) => entry.table === 'artifacts');
    const rows: ArtifactRow[] = hasArtifacts
      ? (await client.query('SELECT id, path, size_bytes, sha256 FROM artifacts ORDER BY path, id')).rows
      : [];
    await client.query('COMMIT');

    const artifacts: Manifest['artifacts'] = [];
    for (const [relative, expected] of filesOf(rows)) {
      const source = path.join(artifactsDir, relative);
      const copy = path.join(dir, FILES_DIR, relative);
      const copied = await copyWithDigest(source, copy).catch((err: NodeJS.ErrnoException) => {
        if (err.path !== source && err.code !== 'EISDIR') throw writeFailure(copy, err);
        throw new BackupError(
          `The file of artifact ${expected.ids.join(', ')} is not readable at ${source} (${err.code ?? err.message}); ` +
            'run `npm run -s admin -- verify` to list every problem, and restore or re-register the file.',
        );
      });
      if (copied.sha256 !== expected.sha256 || copied.sizeBytes !== expected.sizeBytes) {
        throw new BackupError(
          `The file ${source} (${copied.sizeBytes} bytes, sha256 ${copied.sha256}) is not what artifact ` +
            `${expected.ids.join(', ')} registered (${expected.sizeBytes} bytes, sha256 ${expected.sha256}); run ` +
            '`npm run -s admin -- verify` to list every problem, and restore or re-register the file.',
        );
      }
      artifacts.push({ path: relative, ...copied });
      progress(`artifact ${relative}: ${copied.sizeBytes} bytes`);
    }

    const manifest: Manifest = {
      format: FORMAT,
      createdAt: taken.toISOString(),
      serverVersion,
      serverVersionNum,
      migrations,
      migration: migrations.at(-1) ?? null,
      tables,
      sequences,
      maxEventTxid,
      artifacts,
    };
    await fs.rm(marker);
    const temporary = path.join(dir, `.${MANIFEST_FILE}.tmp`);
    await fs
      .writeFile(temporary, `${JSON.stringify(manifest, null, 2)}\n`, { flush: true })
      .catch((err: NodeJS.ErrnoException) => {
        throw writeFailure(temporary, err);
      });
    await fs.rename(temporary, path.join(dir, MANIFEST_FILE));
    return manifest;
  } catch (err) {
    // a half-written backup must not pass for one: remove what this run wrote (the folder held only its marker)
    for (const name of await fs.readdir(dir).catch(() => [])) {
      await fs.rm(path.join(dir, name), { recursive: true, force: true }).catch(() => undefined);
    }
    throw err;
  } finally {
    await client.end().catch(() => undefined);
  }
}
