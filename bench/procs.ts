/** Processes the bench watches: a process tree, its resident memory, spawning and stopping a process group. */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const round1 = (value: number) => Math.round(value * 10) / 10;

function parentOf(pid: string): number | null {
  try {
    return Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop()!.split(' ')[1]);
  } catch {
    return null;
  }
}

/** `root` and every live descendant of it (from /proc; [root] where there is no /proc). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.existsSync('/proc') ? fs.readdirSync('/proc') : []) {
    if (!/^\d+$/.test(entry)) continue;
    const parent = parentOf(entry);
    if (parent !== null) children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  return tree;
}

/** A field of /proc/<pid>/status or smaps_rollup, in kB, or null. */
function kB(pid: number, file: 'status' | 'smaps_rollup', field: string): number | null {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/${file}`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/**
 * The resident memory of `pids` in MiB: the sum of their RSS (what the targets hold: it counts shared pages once
 * per process, so it errs high) and of their PSS (shared pages split between the processes that share them).
 */
export function memoryOf(pids: number[]): { rssMiB: number | null; pssMiB: number | null; processes: number } {
  let rss = 0;
  let pss = 0;
  let seen = 0;
  for (const pid of pids) {
    const r = kB(pid, 'status', 'VmRSS');
    if (r === null) continue;
    seen++;
    rss += r;
    pss += kB(pid, 'smaps_rollup', 'Pss') ?? r;
  }
  return seen
    ? { rssMiB: round1(rss / 1024), pssMiB: round1(pss / 1024), processes: seen }
    : { rssMiB: null, pssMiB: null, processes: 0 };
}

/** A process started in its own group, so that stop() reaches everything it started (npm → sh → tsx → node). */
export interface Group {
  child: ChildProcess;
  output: string[];
  stop(): Promise<void>;
}

export function spawnGroup(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Group {
  const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      output.push(...chunk.split('\n').filter(Boolean));
      output.splice(0, Math.max(0, output.length - 40));
    });
  }
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // already gone
    }
  };
  return {
    child,
    output,
    stop: async () => {
      if (!exited) {
        const done = new Promise((resolve) => child.once('exit', resolve));
        signal('SIGINT');
        const timer = setTimeout(() => signal('SIGKILL'), 15_000);
        await done;
        clearTimeout(timer);
      }
      // the group's leader may exit before the rest of it (npm before its node)
      for (let i = 0; i < 50; i++) {
        try {
          process.kill(-child.pid!, 0);
        } catch {
          return;
        }
        await sleep(100);
      }
      signal('SIGKILL');
    },
  };
}

/** Milliseconds from `since` until GET `url` answers 200, polled every 20 ms; throws after `timeoutMs`. */
export async function untilAnswers(url: string, since: number, timeoutMs: number, alive = () => true): Promise<number> {
  while (performance.now() - since < timeoutMs) {
    if (!alive()) throw new Error(`the process serving ${url} exited before it answered`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.status === 200) return performance.now() - since;
    } catch {
      // not listening yet
    }
    await sleep(20);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}
