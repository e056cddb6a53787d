import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { copyWithDigest, type Digest, digestPath, isEmptyDir } from './files';
import { libpqTarget, pgToolsFor, runTool } from './pgTools';

/** What `backup` writes beside the dump and the files, and what `restore` checks every file against. */
export interface Manifest {
  format: typeof FORMAT;
  createdAt: string;
  /** `server_version` of the database dumped, e.g. "17.6" */
  serverVersion: string;
  serverVersionNum: number;
  /** the last migration applied in the snapshot */
  migration: string | null;
  database: { file: typeof DUMP_FILE } & Digest;
  /** every file the snapshot's artifact rows name, once per path, relative to ARTIFACTS_DIR (and to artifacts/ here) */
  artifacts: ({ path: string } & Digest)[];
}

const FORMAT = 'gitweave-releases-backup/1';
export const MANIFEST_FILE = 'manifest.json';
const DUMP_FILE = 'database.dump';
export const FILES_DIR = 'artifacts';

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

async function lastMigration(client: pg.Client): Promise<string | null> {
  const { rows } = await client.query("SELECT to_regclass('pgmigrations') IS NOT NULL AS migrated");
  if (!rows[0]?.migrated) return null;
  const last = await client.query('SELECT name FROM pgmigrations ORDER BY run_on DESC, id DESC LIMIT 1');
  return last.rows[0]?.name ?? null;
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

/**
 * Writes a consistent backup of the database and the artifacts volume into `target` (missing or empty): one
 * REPEATABLE READ snapshot is exported to pg_dump, and the artifact rows are read from that same snapshot, so writes
 * may go on meanwhile and the backup still holds exactly the files its dump names. Each file is hashed as it is copied
 * and must match its row. The manifest is written last: a folder without one is not a backup.
 */
export async function backup(databaseUrl: string, artifactsDir: string, target: string): Promise<Manifest> {
  const dir = path.resolve(target);
  if (!(await isEmptyDir(dir))) {
    throw new BackupError(`${dir} is not empty; back up into a new or empty folder.`);
  }
  const client = await connect(databaseUrl, 'gitweave-releases backup');
  const existed = await fs.stat(dir).then(
    () => true,
    () => false,
  );
  await fs.mkdir(dir, { recursive: true });
  try {
    const { rows: versionRows } = await client.query(
      "SELECT current_setting('server_version') AS version, current_setting('server_version_num')::int AS num",
    );
    const { version: serverVersion, num: serverVersionNum } = versionRows[0] as { version: string; num: number };
    const tools = await pgToolsFor(serverVersionNum);
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    // now() is the transaction's start: the instant the backup holds
    const { rows: snapshotRows } = await client.query('SELECT pg_export_snapshot() AS snapshot, now() AS taken');
    const { snapshot, taken } = snapshotRows[0] as { snapshot: string; taken: Date };
    const migration = await lastMigration(client);
    const hasArtifacts = (await client.query("SELECT to_regclass('artifacts') IS NOT NULL AS present")).rows[0]
      ?.present;
    const rows: ArtifactRow[] = hasArtifacts
      ? (await client.query('SELECT id, path, size_bytes, sha256 FROM artifacts ORDER BY path, id')).rows
      : [];
    const dumpFile = path.join(dir, DUMP_FILE);
    const { dbname, env } = libpqTarget(databaseUrl);
    await runTool(
      tools.pgDump,
      [
        '--format=custom',
        `--snapshot=${snapshot}`,
        '--no-owner',
        '--no-acl',
        `--file=${dumpFile}`,
        `--dbname=${dbname}`,
      ],
      env,
    );
    await client.query('COMMIT');
    const database = await digestPath(dumpFile);
    if (!database) throw new BackupError(`pg_dump wrote no file at ${dumpFile}.`);

    const artifacts: Manifest['artifacts'] = [];
    for (const [relative, expected] of filesOf(rows)) {
      const source = path.join(artifactsDir, relative);
      const copy = path.join(dir, FILES_DIR, relative);
      const copied = await copyWithDigest(source, copy).catch((err: NodeJS.ErrnoException) => {
        if (err.path !== source && err.code !== 'EISDIR') {
          throw new BackupError(`Could not write ${copy} (${err.code ?? err.message}); the backup was removed.`);
        }
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
    }

    const manifest: Manifest = {
      format: FORMAT,
      createdAt: taken.toISOString(),
      serverVersion,
      serverVersionNum,
      migration,
      database: { file: DUMP_FILE, ...database },
      artifacts,
    };
    const temporary = path.join(dir, `.${MANIFEST_FILE}.tmp`);
    await fs.writeFile(temporary, `${JSON.stringify(manifest, null, 2)}\n`, { flush: true });
    await fs.rename(temporary, path.join(dir, MANIFEST_FILE));
    return manifest;
  } catch (err) {
    // a half-written backup must not pass for one: remove what this run wrote (the folder was empty or missing)
    const written = existed ? (await fs.readdir(dir)).map((name) => path.join(dir, name)) : [dir];
    for (const entry of written) await fs.rm(entry, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  } finally {
    await client.end().catch(() => undefined);
  }
}
