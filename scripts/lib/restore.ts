import fs from 'node:fs/promises';
import path from 'node:path';
import { BackupError, connect, FILES_DIR, MANIFEST_FILE, type Manifest } from './backup';
import { copyWithDigest, type Digest, digestPath, isEmptyDir, listFiles } from './files';
import { libpqTarget, pgToolsFor, runTool } from './pgTools';

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

async function readManifest(dir: string): Promise<Manifest> {
  const file = path.join(dir, MANIFEST_FILE);
  const text = await fs.readFile(file, 'utf8').catch(() => {
    throw new BackupError(`${file} is missing: ${dir} is not a backup, or its backup did not finish.`);
  });
  let manifest: Manifest;
  try {
    manifest = JSON.parse(text);
  } catch {
    throw new BackupError(`${file} is not valid JSON: the backup is damaged; nothing was changed.`);
  }
  const paths = new Set(manifest?.artifacts?.map((entry) => entry.path));
  const valid =
    manifest?.format === 'gitweave-releases-backup/1' &&
    Number.isInteger(manifest.serverVersionNum) &&
    manifest.database?.file === 'database.dump' &&
    isDigest(manifest.database) &&
    Array.isArray(manifest.artifacts) &&
    paths.size === manifest.artifacts.length &&
    manifest.artifacts.every((entry) => isVolumePath(entry.path) && isDigest(entry));
  if (!valid) throw new BackupError(`${file} is not a manifest this version can read; nothing was changed.`);
  return manifest;
}

/** Every file of the backup against the manifest, before anything is changed; throws naming the first that fails. */
async function checkBackup(dir: string, manifest: Manifest): Promise<void> {
  const expected = [
    { file: manifest.database.file, digest: manifest.database as Digest },
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

async function serverVersionNum(databaseUrl: string): Promise<number> {
  const client = await connect(databaseUrl, 'gitweave-releases restore');
  try {
    const { rows } = await client.query("SELECT current_setting('server_version_num')::int AS num");
    return rows[0].num;
  } finally {
    await client.end();
  }
}

/**
 * Restores the backup in `source` into an empty database and an empty (or missing) `artifactsDir`. Every file of the
 * backup is checked against its manifest first, and both targets are checked to be empty, so a damaged backup or a
 * wrong target stops before anything is changed. The dump is loaded in one transaction; then the files are copied,
 * each hashed again as it is written.
 */
export async function restore(databaseUrl: string, artifactsDir: string, source: string) {
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
  const targetVersion = await serverVersionNum(databaseUrl);
  const backupMajor = Math.floor(manifest.serverVersionNum / 10_000);
  if (Math.floor(targetVersion / 10_000) < backupMajor) {
    throw new BackupError(
      `The backup comes from PostgreSQL ${backupMajor} and the database to restore into runs ` +
        `${Math.floor(targetVersion / 10_000)}; restore into PostgreSQL ${backupMajor} or later. Nothing was changed.`,
    );
  }
  const tools = await pgToolsFor(targetVersion);
  const { dbname, env } = libpqTarget(databaseUrl);
  await runTool(
    tools.pgRestore,
    [
      '--no-owner',
      '--no-acl',
      '--exit-on-error',
      '--single-transaction',
      `--dbname=${dbname}`,
      path.join(dir, manifest.database.file),
    ],
    env,
  );
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
  }
  return {
    restored: true,
    createdAt: manifest.createdAt,
    serverVersion: manifest.serverVersion,
    migration: manifest.migration,
    artifacts: manifest.artifacts.length,
    bytes,
  };
}
