import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

// The embedded Postgres as a process: whether a postmaster is alive and whose it is, stopping it, and watching it.

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await sleep(100);
  }
  return false;
}

function sameDir(a: string, b: string): boolean {
  try {
    return fs.realpathSync(a) === fs.realpathSync(b);
  } catch {
    return false;
  }
}

/**
 * Whether `pid` is the postmaster of `dataDir`: a postgres binary whose working directory (a postmaster changes into
 * its data directory) or `-D` argument is that directory. A stale lock file's pid may have been reused by anything,
 * another cluster's postmaster included, which is never ours to touch.
 */
function isPostmasterOf(pid: number, dataDir: string): boolean {
  let args: string[];
  try {
    args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return true; // no /proc (macOS): trust the lock file as Postgres itself does
  }
  if (!args[0]?.endsWith('postgres')) return false;
  const cwd = (() => {
    try {
      return fs.readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      return null; // another user's process (the postgres user, when we are not root)
    }
  })();
  if (cwd !== null) return sameDir(cwd, dataDir);
  const flag = args.indexOf('-D');
  return flag >= 0 && args[flag + 1] !== undefined && sameDir(args[flag + 1] as string, dataDir);
}

/** The pid and port of the postmaster that `dataDir` records, if it is alive and is that directory's. */
export function runningPostmaster(dataDir: string): { pid: number; port: number } | null {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return null;
  const [pidLine, , , portLine] = fs.readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(pidLine);
  const port = Number(portLine);
  if (Number.isInteger(pid) && pid > 0 && alive(pid) && isPostmasterOf(pid, dataDir) && port > 0) return { pid, port };
  // the server died without cleaning up (machine crash, kill -9): its lock file is stale
  fs.rmSync(pidFile, { force: true });
  return null;
}

export async function stopPostmaster(pid: number, dataDir: string): Promise<void> {
  process.kill(pid, 'SIGINT'); // fast shutdown: roll back open transactions, checkpoint, exit
  if (!(await waitUntil(() => !alive(pid), 30_000))) {
    throw new Error(`The embedded Postgres (pid ${pid}, ${dataDir}) did not stop within 30 s`);
  }
}

/** `stop`, and a watch on the postmaster that reports its death unless `stop` ended it. */
/** What `watched` hands back: Database's stop and onLost (scripts/lib/database.ts). */
interface Watched {
  stop(): Promise<void>;
  onLost(listener: (reason: string) => void): void;
}

export function watched(stop: () => Promise<void>, postmaster: number | null, dataDir: string): Watched {
  const listeners: ((reason: string) => void)[] = [];
  let timer: NodeJS.Timeout | undefined;
  let stopping = false;
  if (postmaster !== null) {
    timer = setInterval(() => {
      if (stopping || alive(postmaster)) return;
      clearInterval(timer);
      stopping = true; // nothing left to stop
      const reason = `the embedded Postgres (pid ${postmaster}, ${dataDir}) is gone: it stopped or was killed`;
      for (const listener of listeners) listener(reason);
    }, 500);
    timer.unref();
  }
  return {
    stop: async () => {
      clearInterval(timer);
      if (stopping && postmaster !== null && !alive(postmaster)) return;
      stopping = true;
      await stop();
    },
    onLost: (listener) => listeners.push(listener),
  };
}
