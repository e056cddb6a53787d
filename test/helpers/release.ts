import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/**
 * The Node that runs the installed release: GITWEAVE_NODE (CI points it at a Node 24 binary), else this one. npm runs
 * under it too (its folder goes first on PATH).
 */
export const NODE = process.env.GITWEAVE_NODE || process.execPath;
const PATH = `${path.dirname(NODE)}${path.delimiter}${process.env.PATH ?? ''}`;

/** npm, under NODE, in `cwd`; its output. */
export async function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  return exec('npm', args, { cwd, env: { ...process.env, ...env, PATH }, maxBuffer: 16 * 1024 * 1024 });
}

/**
 * `npm pack` of the checkout at `root` (its prepack builds dist/ first) into `dir`; the tarball's path. `env`: more
 * environment for the build (GITWEAVE_COMMIT for a tree without .git).
 */
export async function pack(root: string, dir: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  // the release project's files run at once, and two builds writing one checkout's dist/ would mix their files
  const release = await packLock(root);
  const { stdout } = await npm(['pack', '--pack-destination', dir, '--silent'], root, env).finally(release);
  const name = stdout.trim().split('\n').at(-1) ?? '';
  const tarball = path.join(dir, name);
  if (!name.endsWith('.tgz') || !fs.existsSync(tarball)) throw new Error(`npm pack printed no tarball:\n${stdout}`);
  return tarball;
}

/**
 * Waits until no other process of this machine packs `root`, and takes its turn: a folder made atomically in the
 * temporary directory, holding the packer's pid (a packer that died leaves it to the next). Resolves to the release.
 */
async function packLock(root: string): Promise<() => void> {
  const hash = createHash('sha256').update(path.resolve(root)).digest('hex').slice(0, 16);
  const lock = path.join(os.tmpdir(), `gitweave-pack-${hash}.lock`);
  const deadline = Date.now() + 600_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      return () => fs.rmSync(lock, { recursive: true, force: true });
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') throw err;
    }
    let holder = 0;
    try {
      holder = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8'));
    } catch {
      // released meanwhile, or its pid not written yet
    }
    if (holder > 0 && !alive(holder)) fs.rmSync(lock, { recursive: true, force: true });
    if (Date.now() > deadline) throw new Error(`${lock}: another npm pack of ${root} held it for 10 minutes`);
    await sleep(200);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

/**
 * Installs `tarball` into `dir` (empty) as `npm install --omit=dev <tarball>` would, offline: tests never leave
 * loopback, so the dependencies are those of `lockfile` (the versions this checkout was tested with, which npm ci
 * left in npm's cache), written as `dir`'s own lockfile, with the tarball in place of the project; then `npm ci
 * --omit=dev --offline`.
 */
export async function installRelease(tarball: string, dir: string, lockfile: string): Promise<void> {
  const lock = JSON.parse(fs.readFileSync(lockfile, 'utf8')) as {
    packages: Record<string, { name?: string; dev?: boolean; devDependencies?: unknown } & Record<string, unknown>>;
  };
  const { name, devDependencies: _dev, ...project } = lock.packages[''] ?? {};
  if (!name) throw new Error(`${lockfile} names no project`);
  const file = `file:${path.basename(tarball)}`;
  const packages: Record<string, unknown> = {
    '': { dependencies: { [name]: file } },
    [`node_modules/${name}`]: { ...project, resolved: file },
  };
  // what only development needs stays out, as --omit=dev leaves it out
  for (const [key, entry] of Object.entries(lock.packages)) if (key && !entry.dev) packages[key] = entry;
  fs.copyFileSync(tarball, path.join(dir, path.basename(tarball)));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ private: true, dependencies: { [name]: file } }));
  fs.writeFileSync(
    path.join(dir, 'package-lock.json'),
    JSON.stringify({ name: 'release-install', lockfileVersion: 3, requires: true, packages }),
  );
  await npm(['ci', '--omit=dev', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], dir);
}

export interface Running {
  child: ChildProcess;
  /** what it printed so far, stdout and stderr */
  output(): string;
  /** SIGTERM, then the exit code */
  stop(): Promise<number | null>;
}

/** `gitweave-releases serve` of the release installed in `dir`, run by Node itself; resolves once /health answers. */
export async function serveRelease(dir: string, env: NodeJS.ProcessEnv, port: number): Promise<Running> {
  const child = spawn(NODE, [bin(dir, 'gitweave-releases'), 'serve'], { cwd: dir, env, stdio: 'pipe' });
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let exited = false;
  void exit.then(() => {
    exited = true;
  });
  const running: Running = {
    child,
    output: () => text,
    async stop() {
      if (!exited) child.kill('SIGTERM');
      return exit;
    },
  };
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`gitweave-releases serve exited before it answered:\n${text}`);
    const ok = await fetch(`http://127.0.0.1:${port}/api/v1/health`, { signal: AbortSignal.timeout(2000) })
      .then((res) => res.status === 200)
      .catch(() => false);
    if (ok) return running;
    await sleep(200);
  }
  await running.stop();
  throw new Error(`gitweave-releases serve did not answer within 120 s:\n${text}`);
}

/** The file an installed bin runs (node_modules/.bin/<name> links to it). */
function bin(dir: string, name: string): string {
  return fs.realpathSync(path.join(dir, 'node_modules', '.bin', name));
}

/** Runs an installed bin with Node; its exit code and output. `timeout`: ms before it is sent SIGTERM (0: never). */
export async function runBin(dir: string, name: string, args: string[], env: NodeJS.ProcessEnv, timeout = 0) {
  try {
    const { stdout, stderr } = await exec(NODE, [bin(dir, name), ...args], { cwd: dir, env, timeout });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** Every process under `pid` (Linux /proc), with its command line. */
export function processTree(pid: number): { pid: number; command: string }[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // the parent is the 2nd field after the command's closing parenthesis
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const tree: { pid: number; command: string }[] = [];
  const visit = (id: number) => {
    let command = '';
    try {
      command = fs.readFileSync(`/proc/${id}/cmdline`, 'utf8').split('\0').join(' ').trim();
    } catch {
      return;
    }
    tree.push({ pid: id, command });
    for (const child of children.get(id) ?? []) visit(child);
  };
  visit(pid);
  return tree;
}
