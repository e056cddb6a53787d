import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Artifact } from '../../schemas/artifacts';
import { config } from '../infra/config';
import { decodeTimeCursor, encodeTimeCursor, keysetPage } from '../infra/cursor';
import { type Queryable, type Row, sql } from '../infra/db';
import { BadRequest, NotFound, Unprocessable } from '../infra/errors';
import { isoTime } from '../infra/time';

/** Largest file accepted as a raw upload. */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

function outside(relative: string): BadRequest {
  return new BadRequest(`The path "${relative}" leads outside the artifacts volume.`, [
    { path: '/body/path', message: 'must stay inside ARTIFACTS_DIR' },
  ]);
}

/**
 * The real location of `relative` inside the volume `root`: a relative path with no `..` segment, which after
 * following symlinks still lies inside the volume, else 400. A path that does not exist, or is not a regular
 * file, is 422. Returns the absolute real path and its path relative to the volume's real root.
 */
export async function confineToVolume(root: string, relative: string): Promise<{ absolute: string; relative: string }> {
  if (relative.includes('\u0000')) throw new BadRequest('The path must not contain NUL.');
  if (path.isAbsolute(relative) || path.win32.isAbsolute(relative)) {
    throw new BadRequest(`The path "${relative}" is absolute; give it relative to the artifacts volume.`, [
      { path: '/body/path', message: 'must be relative to ARTIFACTS_DIR' },
    ]);
  }
  if (relative.split(/[\\/]/).includes('..')) throw outside(relative);
  let realRoot: string;
  let real: string;
  try {
    realRoot = await fs.realpath(root);
    real = await fs.realpath(path.join(realRoot, relative));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') {
      throw new Unprocessable(`No file at "${relative}" on the artifacts volume.`, [
        { path: '/body/path', message: 'no such file' },
      ]);
    }
    if ((err as NodeJS.ErrnoException).code === 'ELOOP' || (err as NodeJS.ErrnoException).code === 'ENAMETOOLONG') {
      throw new BadRequest(`The path "${relative}" cannot be resolved (${(err as NodeJS.ErrnoException).code}).`);
    }
    throw err;
  }
  if (!real.startsWith(realRoot + path.sep)) throw outside(relative);
  const stat = await fs.stat(real);
  if (!stat.isFile()) {
    throw new Unprocessable(`"${relative}" is not a regular file.`, [{ path: '/body/path', message: 'is not a file' }]);
  }
  return { absolute: real, relative: path.relative(realRoot, real).split(path.sep).join('/') };
}

/** Size and SHA-256 of a file, read as a stream so that large files cost no memory. */
async function digestFile(file: string): Promise<{ sizeBytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    sizeBytes += (chunk as Buffer).length;
  }
  return { sizeBytes, sha256: hash.digest('hex') };
}

/** 422 when the client declared a digest and the content has another; nothing is stored or registered then. */
function checkDeclaredDigest(declared: string | undefined, actual: string, where: string): void {
  if (declared !== undefined && declared !== actual) {
    throw new Unprocessable(`The content's SHA-256 is ${actual}, not the declared ${declared}.`, [
      { path: where, message: 'does not match the content' },
    ]);
  }
}

const columns = sql`id, repo_id, name, path, size_bytes, sha256, content_type, created_at`;

function toArtifact(row: Row): Artifact {
  return {
    id: row.id,
    repoId: row.repo_id,
    name: row.name,
    path: row.path,
    sizeBytes: Number(row.size_bytes),
    sha256: row.sha256,
    contentType: row.content_type,
    createdAt: isoTime(row.created_at),
  };
}

async function insertArtifact(
  db: Queryable,
  repoId: string,
  fields: { name: string; path: string; sizeBytes: number; sha256: string; contentType: string },
): Promise<Artifact> {
  const [row] = await db.query(sql`
    INSERT INTO artifacts (repo_id, name, path, size_bytes, sha256, content_type)
    VALUES (${repoId}, ${fields.name}, ${fields.path}, ${fields.sizeBytes}, ${fields.sha256}, ${fields.contentType})
    RETURNING ${columns}
  `);
  return toArtifact(row);
}

/** Registers a file the build already wrote on the volume; size and digest are computed here, not trusted. */
export async function registerArtifact(
  db: Queryable,
  repoId: string,
  input: { name: string; path: string; contentType?: string; sha256?: string },
): Promise<Artifact> {
  const file = await confineToVolume(config().artifactsDir, input.path);
  const digest = await digestFile(file.absolute);
  checkDeclaredDigest(input.sha256, digest.sha256, '/body/sha256');
  return insertArtifact(db, repoId, {
    name: input.name,
    path: file.relative,
    contentType: input.contentType ?? DEFAULT_CONTENT_TYPE,
    sizeBytes: digest.sizeBytes,
    sha256: digest.sha256,
  });
}

/**
 * Stores `bytes` on the volume at `repos/<repo>/<sha256>` and registers them. The file is written under a
 * temporary name, flushed, then renamed into place, so a crash never leaves a half-written artifact; a file
 * already there has the same content by construction and is kept.
 */
export async function uploadArtifact(
  db: Queryable,
  repoId: string,
  input: { name?: string; contentType?: string; sha256?: string },
  bytes: Buffer,
): Promise<Artifact> {
  const name = input.name;
  if (name === undefined) {
    throw new BadRequest('Name the uploaded file with the query parameter ?name=.', [
      { path: '/query/name', message: 'is required' },
    ]);
  }
  if (bytes.length > MAX_UPLOAD_BYTES) throw new BadRequest(`The file is larger than ${MAX_UPLOAD_BYTES} bytes.`);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  checkDeclaredDigest(input.sha256, sha256, '/query/sha256');
  const relative = `repos/${repoId}/${sha256}`;
  const target = path.join(config().artifactsDir, relative);
  const directory = path.dirname(target);
  await fs.mkdir(directory, { recursive: true });
  const exists = await fs.stat(target).then(
    (stat) => stat.isFile() && stat.size === bytes.length,
    () => false,
  );
  if (!exists) {
    const temporary = path.join(directory, `.upload-${randomBytes(8).toString('hex')}`);
    const handle = await fs.open(temporary, 'wx', 0o644);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temporary, target);
    const dir = await fs.open(directory, 'r');
    await dir.sync().finally(() => dir.close());
  }
  return insertArtifact(db, repoId, {
    name,
    path: relative,
    sizeBytes: bytes.length,
    sha256,
    contentType: input.contentType ?? DEFAULT_CONTENT_TYPE,
  });
}

export async function getArtifact(db: Queryable, repoId: string, id: string): Promise<Artifact> {
  const [row] = await db.query(sql`SELECT ${columns} FROM artifacts WHERE id = ${id} AND repo_id = ${repoId}`);
  if (!row) throw new NotFound(`Artifact ${id} was not found in this repo`);
  return toArtifact(row);
}

export async function listArtifacts(
  db: Queryable,
  repoId: string,
  page: { limit: number; cursor?: string },
): Promise<{ items: Artifact[]; nextCursor: string | null }> {
  const after = page.cursor ? decodeTimeCursor('artifacts', page.cursor) : null;
  const rows = await db.query(sql`
    SELECT ${columns} FROM artifacts
    WHERE repo_id = ${repoId} ${after ? sql`AND (created_at, id) < (${after.at}, ${after.id})` : sql``}
    ORDER BY created_at DESC, id DESC
    LIMIT ${page.limit + 1}
  `);
  return keysetPage(rows, page.limit, toArtifact, (last) =>
    encodeTimeCursor('artifacts', { at: last.created_at, id: last.id }),
  );
}
