import type { FileHandle } from 'node:fs/promises';
import type { Artifact } from '../../schemas/artifacts';
import { config } from '../infra/config';
import { type Queryable, sql } from '../infra/db';
import { Conflict, ServiceUnavailable } from '../infra/errors';
import { log } from '../infra/log';
import { digestFile, openStoredFile, StoredFileMissing } from './volume';

/**
 * What tells a file's bytes apart without reading them: size and mtime (any write moves them), plus ctime and inode,
 * which no writer can set back (touch -d, cp -p and rsync -t restore an mtime; a rename into place is another inode).
 */
export interface Fingerprint {
  sizeBytes: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  inode: bigint;
}

export async function fingerprintOf(handle: FileHandle): Promise<Fingerprint> {
  const stat = await handle.stat({ bigint: true });
  return { sizeBytes: stat.size, mtimeNs: stat.mtimeNs, ctimeNs: stat.ctimeNs, inode: stat.ino };
}

export function sameFingerprint(a: Fingerprint, b: Fingerprint): boolean {
  return a.sizeBytes === b.sizeBytes && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.inode === b.inode;
}

/** The columns migration 0012 added, and their values for `fingerprint` (below). */
export const VERIFIED_COLUMNS = sql`verified_size_bytes, verified_mtime_ns, verified_ctime_ns, verified_inode, verified_at`;

/** The values of migration 0012's columns, in their order there, bound as text so that no 64-bit value is a float. */
export function verifiedValues(fingerprint: Fingerprint) {
  return sql`${String(fingerprint.sizeBytes)}::bigint, ${String(fingerprint.mtimeNs)}::bigint,
    ${String(fingerprint.ctimeNs)}::bigint, ${String(fingerprint.inode)}::numeric, now()`;
}

function altered(artifact: Pick<Artifact, 'id' | 'name'>, why: string): Conflict {
  log().warn({ artifactId: artifact.id }, 'artifact refused: %s', why);
  return new Conflict(
    `The file of artifact ${artifact.id} (${artifact.name}) was altered on the artifacts volume since it was registered (${why}), so it is not served. Upload or register it again as a new artifact.`,
  );
}

type Verdict = { ok: true } | { ok: false; why: string };

/**
 * Digests of files being verified, by artifact and fingerprint: concurrent downloads of a changed file hash it once,
 * and a digest that outlives its request's deadline carries on and records its verdict for the retry.
 */
const verifying = new Map<string, Promise<Verdict>>();

async function verify(db: Queryable, row: StoredRow, expected: Fingerprint): Promise<Verdict> {
  let handle: FileHandle;
  try {
    handle = await openStoredFile(config().artifactsDir, row.path);
  } catch (err) {
    if (err instanceof StoredFileMissing) return { ok: false, why: 'the file is no longer there' };
    throw err;
  }
  try {
    const before = await fingerprintOf(handle);
    if (!sameFingerprint(before, expected)) return { ok: false, why: 'it changed while being verified' };
    const digest = await digestFile(handle);
    if (!sameFingerprint(await fingerprintOf(handle), before)) {
      return { ok: false, why: 'it changed while being verified' };
    }
    if (digest.sizeBytes !== row.sizeBytes || digest.sha256 !== row.sha256) {
      return { ok: false, why: `its SHA-256 is now ${digest.sha256}, not the recorded ${row.sha256}` };
    }
    await db.query(sql`
      UPDATE artifacts SET (${VERIFIED_COLUMNS}) = (${verifiedValues(before)})
      WHERE id = ${row.id} AND sha256 = ${row.sha256}
    `);
    return { ok: true };
  } finally {
    await handle.close();
  }
}

interface StoredRow {
  id: string;
  path: string;
  sizeBytes: number;
  sha256: string;
  verified: Fingerprint | null;
}

async function storedRow(db: Queryable, id: string): Promise<StoredRow | null> {
  const [row] = await db.query(sql`
    SELECT id, path, size_bytes, sha256, verified_size_bytes::text, verified_mtime_ns::text,
      verified_ctime_ns::text, verified_inode::text
    FROM artifacts WHERE id = ${id}
  `);
  if (!row) return null;
  const verified =
    row.verified_size_bytes === null
      ? null
      : {
          sizeBytes: BigInt(row.verified_size_bytes),
          mtimeNs: BigInt(row.verified_mtime_ns),
          ctimeNs: BigInt(row.verified_ctime_ns),
          inode: BigInt(row.verified_inode),
        };
  return { id: row.id, path: row.path, sizeBytes: Number(row.size_bytes), sha256: row.sha256, verified };
}

/** An artifact's file, open for reading and known to hold the bytes its digest was recorded for. */
export interface ArtifactContent {
  handle: FileHandle;
  sizeBytes: number;
}

/**
 * Opens the file of `artifact` for download. A file that is no longer the one last verified (see Fingerprint) is
 * hashed again first, streaming, and refused with a 409 when its content no longer matches the recorded digest, or
 * when it is gone; a digest that takes longer than ARTIFACT_HASH_DEADLINE_MS answers 503 and carries on, so that a
 * retry finds it verified. The caller owns the handle (the HTTP layer streams it, or reads it, and closes it).
 */
export async function openArtifactContent(
  db: Queryable,
  artifact: Pick<Artifact, 'id' | 'name'>,
  deadlineMs = config().artifactHashDeadlineMs,
): Promise<ArtifactContent> {
  const row = await storedRow(db, artifact.id);
  if (!row) throw altered(artifact, 'its row is gone');
  let handle: FileHandle;
  try {
    handle = await openStoredFile(config().artifactsDir, row.path);
  } catch (err) {
    if (err instanceof StoredFileMissing) throw altered(artifact, 'the file is no longer there');
    throw err;
  }
  try {
    const fingerprint = await fingerprintOf(handle);
    if (fingerprint.sizeBytes !== BigInt(row.sizeBytes)) {
      throw altered(artifact, `it is now ${fingerprint.sizeBytes} bytes, not the recorded ${row.sizeBytes}`);
    }
    if (!row.verified || !sameFingerprint(row.verified, fingerprint)) {
      const key = `${row.id}:${fingerprint.inode}:${fingerprint.mtimeNs}:${fingerprint.ctimeNs}`;
      let running = verifying.get(key);
      if (!running) {
        running = verify(db, row, fingerprint).finally(() => verifying.delete(key));
        verifying.set(key, running);
      }
      const verdict = await withDeadline(running, deadlineMs);
      if (verdict === null) {
        throw new ServiceUnavailable(
          `The file of artifact ${artifact.id} changed on the volume since it was last verified, and hashing it again takes longer than ${deadlineMs} ms; it carries on: retry shortly.`,
          Math.max(1, Math.ceil(deadlineMs / 1000)),
        );
      }
      if (!verdict.ok) throw altered(artifact, verdict.why);
    }
    return { handle, sizeBytes: row.sizeBytes };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** `promise`'s value, or null once `ms` have passed (the promise carries on; its failure is logged, not lost). */
async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  promise.catch((err: unknown) => log().warn({ err }, 'verifying an artifact failed'));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
