import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Artifact } from '../../schemas/artifacts';
import { MAX_UPLOAD_BYTES } from '../../schemas/artifacts';
import { config } from '../infra/config';
import { decodeTimeCursor, encodeTimeCursor, keysetPage } from '../infra/cursor';
import { type Queryable, type Row, sql } from '../infra/db';
import { BadRequest, NotFound, Unprocessable } from '../infra/errors';
import { isoTime } from '../infra/time';
import { type Fingerprint, fingerprintOf, sameFingerprint, VERIFIED_COLUMNS, verifiedValues } from './downloads';
import { DigestDeadline, digestFile, openBuildFile } from './volume';

const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

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
  verified: Fingerprint | null,
): Promise<Artifact> {
  // a file hashed here is recorded as verified, so that its first download does not hash it again
  const [row] = await db.query(sql`
    INSERT INTO artifacts (repo_id, name, path, size_bytes, sha256, content_type
      ${verified ? sql`, ${VERIFIED_COLUMNS}` : sql``})
    VALUES (${repoId}, ${fields.name}, ${fields.path}, ${fields.sizeBytes}, ${fields.sha256}, ${fields.contentType}
      ${verified ? sql`, ${verifiedValues(verified)}` : sql``})
    RETURNING ${columns}
  `);
  return toArtifact(row);
}

/**
 * Registers a file the build wrote under `builds/<repo>/` on the volume; size and digest are computed here, from the
 * very descriptor that was checked, not trusted. A digest still running after `deadlineMs` is abandoned and nothing is
 * written, so that a request never outlives its platform timeout and then commits anyway.
 */
export async function registerArtifact(
  db: Queryable,
  repoId: string,
  input: { name: string; path: string; contentType?: string; sha256?: string },
  deadlineMs = config().artifactHashDeadlineMs,
): Promise<Artifact> {
  const file = await openBuildFile(config().artifactsDir, repoId, input.path);
  let digest: { sizeBytes: number; sha256: string };
  let verified: Fingerprint | null;
  try {
    const before = await fingerprintOf(file.handle);
    digest = await digestFile(file.handle, Date.now() + deadlineMs);
    // unlinked while being hashed: its path names nothing now
    if ((await file.handle.stat()).nlink === 0) throw noLongerThere(input.path);
    // written to while being hashed: what was hashed may be neither version, so its first download hashes it again
    const after = await fingerprintOf(file.handle);
    verified = sameFingerprint(after, before) ? after : null;
  } catch (err) {
    throw err instanceof DigestDeadline ? tooSlow(input.path, deadlineMs) : err;
  } finally {
    await file.handle.close();
  }
  checkDeclaredDigest(input.sha256, digest.sha256, '/body/sha256');
  return insertArtifact(
    db,
    repoId,
    {
      name: input.name,
      path: file.relative,
      contentType: input.contentType ?? DEFAULT_CONTENT_TYPE,
      sizeBytes: digest.sizeBytes,
      sha256: digest.sha256,
    },
    verified,
  );
}

function noLongerThere(relative: string): Unprocessable {
  return new Unprocessable(`"${relative}" was deleted while it was being hashed.`, [
    { path: '/body/path', message: 'no such file' },
  ]);
}

function tooSlow(relative: string, deadlineMs: number): Unprocessable {
  return new Unprocessable(
    `"${relative}" could not be hashed within ${deadlineMs} ms, so nothing was registered. Register a smaller ` +
      'file, or raise ARTIFACT_HASH_DEADLINE_MS on the server (keeping it below the function timeout on Lambda).',
    [{ path: '/body/path', message: 'could not be hashed within the deadline' }],
  );
}

/** Where uploads are written before they are renamed into the store: on the volume, so the rename is atomic. */
const STAGING = '.staging';
/** Longer than any request may last (the server's 60 s, Lambda's 29 s): a staged file this old was orphaned. */
const STAGED_ORPHAN_MS = 60 * 60 * 1000;

/**
 * Removes staged uploads that a crash left behind (older than any request may take, so never a live upload of
 * another server sharing the volume). Returns how many it removed. The server runs it at start.
 */
export async function sweepStagedUploads(now = Date.now()): Promise<number> {
  const staging = path.join(config().artifactsDir, STAGING);
  const names = await fs.readdir(staging).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names) {
    const file = path.join(staging, name);
    const stat = await fs.lstat(file).catch(() => null);
    if (stat?.isFile() && now - stat.mtimeMs > STAGED_ORPHAN_MS) {
      await fs.unlink(file).catch(() => undefined);
      removed += 1;
    }
  }
  return removed;
}

/**
 * Stores `bytes` on the volume at `repos/<repo>/<sha256>` and registers them. The file is written in the staging
 * folder, flushed, then renamed into place, so a crash never leaves a half-written or misnamed file in the store;
 * what it leaves in staging, `sweepStagedUploads` removes. A file already there has the same content by construction
 * and is kept.
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
  let verified: Fingerprint | null = null;
  if (!exists) {
    const staging = path.join(config().artifactsDir, STAGING);
    await fs.mkdir(staging, { recursive: true });
    const temporary = path.join(staging, `${repoId}-${randomBytes(8).toString('hex')}`);
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
    // after the rename, which moves ctime: the bytes just written, as they now lie in the store
    const stat = await fs.stat(target, { bigint: true });
    verified = { sizeBytes: stat.size, mtimeNs: stat.mtimeNs, ctimeNs: stat.ctimeNs, inode: stat.ino };
  }
  return insertArtifact(
    db,
    repoId,
    { name, path: relative, sizeBytes: bytes.length, sha256, contentType: input.contentType ?? DEFAULT_CONTENT_TYPE },
    verified,
  );
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
