import { createHash } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { digestFile } from '../../lib/domain/volume';

export interface Digest {
  sizeBytes: number;
  sha256: string;
}

// never follow a symlink at the last component: a row names a file, not whatever a link points to
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW;

/** Size and SHA-256 of the regular file at `file`, or null when there is none (missing, a directory, a symlink). */
export async function digestPath(file: string): Promise<Digest | null> {
  const handle = await fs.open(file, READ_FLAGS).catch(() => null);
  if (!handle) return null;
  try {
    if (!(await handle.stat()).isFile()) return null;
    return await digestFile(handle);
  } finally {
    await handle.close();
  }
}

/**
 * Copies `from` to the new file `to` (its folders made as needed; an existing file is an error), hashing the bytes as
 * they pass, and flushes it to disk; returns what was copied, for the caller to compare with what it expected.
 */
export async function copyWithDigest(from: string, to: string): Promise<Digest> {
  const source = await fs.open(from, READ_FLAGS);
  if (!(await source.stat()).isFile()) {
    await source.close();
    throw Object.assign(new Error(`${from} is not a regular file`), { code: 'EISDIR' });
  }
  await fs.mkdir(path.dirname(to), { recursive: true });
  const hash = createHash('sha256');
  let sizeBytes = 0;
  await pipeline(
    source.createReadStream(),
    async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        hash.update(chunk);
        sizeBytes += chunk.length;
        yield chunk;
      }
    },
    createWriteStream(to, { flags: 'wx', mode: 0o644, flush: true }),
  );
  return { sizeBytes, sha256: hash.digest('hex') };
}

/** Every file beneath `root` (not following symlinks; a symlink counts as a file), as paths relative to it with `/`. */
export async function listFiles(root: string): Promise<string[]> {
  const entries = await fs
    .readdir(root, { recursive: true, withFileTypes: true })
    .catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [];
      throw err;
    });
  return entries
    .filter((entry) => !entry.isDirectory())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}

/** Whether `dir` is missing or holds nothing. */
export async function isEmptyDir(dir: string): Promise<boolean> {
  const names = await fs.readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  return names.length === 0;
}
