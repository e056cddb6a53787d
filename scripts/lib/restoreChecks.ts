import fs from 'node:fs';
import path from 'node:path';
import { BackupError, FILES_DIR, FORMAT, MANIFEST_FILE, type Manifest, TABLES_DIR, type TableEntry } from './backup';
import { type Digest, digestPath, listFiles } from './files';

// What restore checks before it changes anything: the manifest's shape, then every file against its size and digest.

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

export async function readManifest(dir: string): Promise<Manifest> {
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
export async function checkBackup(dir: string, manifest: Manifest): Promise<void> {
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
