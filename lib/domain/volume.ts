import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { UNPRINTABLE_CHARACTERS } from '../../schemas/common';
import { BadRequest, Unprocessable } from '../infra/errors';

/** The part of the volume a repo may register files from: its own, so no repo can claim another's files. */
function buildsDirOf(repoId: string): string {
  return `builds/${repoId}`;
}

/** The characters a registered path may not hold: the same class as the body schema's pattern. */
const UNPRINTABLE = new RegExp(`[${UNPRINTABLE_CHARACTERS}]`, 'u');

// O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOFOLLOW: the last component is never a symlink
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;
const CHUNK_BYTES = 1024 * 1024;

const atPath = (message: string) => [{ path: '/body/path', message }];

/** One answer for "missing" and "leads elsewhere", so that no caller learns what lies outside its directory. */
function noFile(relative: string, dir: string): Unprocessable {
  return new Unprocessable(`No regular file at "${relative}" inside ${dir}/.`, atPath('no such file'));
}

/** The lexical rules: relative, no `..`, printable, and under the repo's directory; returns the normalised path. */
function checkSpelling(relative: string, dir: string): string {
  if (UNPRINTABLE.test(relative)) {
    throw new BadRequest('The path must not contain control, line-separator or bidi-override characters.', [
      { path: '/body/path', message: 'contains a control character' },
    ]);
  }
  if (path.isAbsolute(relative) || path.win32.isAbsolute(relative)) {
    throw new BadRequest(`The path "${relative}" is absolute; give it relative to the artifacts volume.`, [
      { path: '/body/path', message: 'must be relative to ARTIFACTS_DIR' },
    ]);
  }
  const normalised = path.posix.normalize(relative);
  if (relative.split(/[\\/]/).includes('..') || !normalised.startsWith(`${dir}/`)) {
    throw new BadRequest(`The path "${relative}" is not inside ${dir}/, where this repo's builds are registered.`, [
      { path: '/body/path', message: `must lie under ${dir}/` },
    ]);
  }
  return normalised;
}

/** Where the open descriptor really is: /proc names it on Linux; elsewhere, the path's real location if it is the same file. */
async function locationOf(handle: FileHandle, opened: string): Promise<string | null> {
  try {
    return await fs.readlink(`/proc/self/fd/${handle.fd}`);
  } catch {
    const [real, own] = await Promise.all([fs.realpath(opened).catch(() => null), handle.stat()]);
    const there = real ? await fs.stat(real).catch(() => null) : null;
    return there && real && there.dev === own.dev && there.ino === own.ino ? real : null;
  }
}

export interface BuildFile {
  handle: FileHandle;
  /** where the file is, relative to the volume's real root */
  relative: string;
}

/**
 * Opens the file a repo registers, then checks what was opened (not the path, which can change under us): a
 * regular file with one link, on the volume's device, beneath the real `builds/<repo>/`. The caller closes it.
 */
export async function openBuildFile(root: string, repoId: string, relative: string): Promise<BuildFile> {
  const dir = buildsDirOf(repoId);
  const normalised = checkSpelling(relative, dir);
  const realRoot = await fs.realpath(root);
  const volume = await fs.stat(realRoot);
  let handle: FileHandle;
  try {
    handle = await fs.open(path.join(realRoot, normalised), OPEN_FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') {
      throw new Unprocessable(`"${relative}" is a symbolic link; register the file it names by its own path.`, [
        { path: '/body/path', message: 'is a symbolic link' },
      ]);
    }
    if (code === 'ENAMETOOLONG') throw new BadRequest(`The path "${relative}" is too long.`, atPath('is too long'));
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES') throw noFile(relative, dir);
    throw err;
  }
  try {
    const real = await locationOf(handle, path.join(realRoot, normalised));
    if (!real?.startsWith(path.join(realRoot, dir) + path.sep)) throw noFile(relative, dir);
    const stat = await handle.stat();
    if (!stat.isFile()) {
      throw new Unprocessable(`"${relative}" is not a regular file.`, atPath('is not a regular file'));
    }
    if (stat.dev !== volume.dev) {
      throw new Unprocessable(`"${relative}" is on another file system than the artifacts volume.`, [
        { path: '/body/path', message: 'is on another file system' },
      ]);
    }
    // unlinked since it was opened
    if (stat.nlink === 0) throw noFile(relative, dir);
    if (stat.nlink !== 1) {
      throw new Unprocessable(`"${relative}" has ${stat.nlink} hard links; register a copy of the file instead.`, [
        { path: '/body/path', message: 'has more than one hard link' },
      ]);
    }
    return { handle, relative: path.relative(realRoot, real).split(path.sep).join('/') };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** Thrown when a digest is still running at its deadline; the read stops there. */
export class DigestDeadline extends Error {
  override name = 'DigestDeadline';
}

/**
 * Size and SHA-256 of an open file, read chunk by chunk so that large files cost no memory, and abandoned with
 * DigestDeadline once `deadline` (a Date.now() value) has passed.
 */
export async function digestFile(handle: FileHandle, deadline = Number.POSITIVE_INFINITY) {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  let sizeBytes = 0;
  for (;;) {
    if (Date.now() > deadline) throw new DigestDeadline(`still hashing after ${sizeBytes} bytes`);
    const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, sizeBytes);
    if (bytesRead === 0) break;
    hash.update(buffer.subarray(0, bytesRead));
    sizeBytes += bytesRead;
  }
  return { sizeBytes, sha256: hash.digest('hex') };
}

/** The file a row names is not on the volume (any more), or is no longer a regular file inside it. */
export class StoredFileMissing extends Error {
  override name = 'StoredFileMissing';
}

/**
 * Opens a file a row of the artifacts table names (`relative` to the volume, as registration recorded it) for
 * reading, and checks what was opened rather than the path: a regular file on the volume's device, whose real
 * location is exactly `relative` under the volume's real root, so a symlink planted in its place or in any folder
 * above it since registration leads nowhere. StoredFileMissing otherwise. The caller closes the handle.
 */
export async function openStoredFile(root: string, relative: string): Promise<FileHandle> {
  const realRoot = await fs.realpath(root);
  const expected = path.join(realRoot, relative);
  // rows hold normalised paths inside the volume; one that is not was never written by registration
  if (!expected.startsWith(realRoot + path.sep)) throw new StoredFileMissing(`${relative} is outside the volume`);
  let handle: FileHandle;
  try {
    handle = await fs.open(expected, OPEN_FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'EACCES') {
      throw new StoredFileMissing(`no file at ${relative} (${code})`);
    }
    throw err;
  }
  try {
    const [real, stat, volume] = await Promise.all([locationOf(handle, expected), handle.stat(), fs.stat(realRoot)]);
    if (real !== expected) throw new StoredFileMissing(`${relative} leads to ${real ?? 'an unknown place'}`);
    if (!stat.isFile()) throw new StoredFileMissing(`${relative} is not a regular file`);
    if (stat.dev !== volume.dev) throw new StoredFileMissing(`${relative} is on another file system`);
    return handle;
  } catch (err) {
    await handle.close();
    throw err;
  }
}
