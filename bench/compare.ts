/**
 * npm run bench:compare -- --against=<git revision> [--quick] [--reuse] [--rounds=N] [--duration=S] [--warmup=S]
 *   [--profile=DIR]
 *
 * The reads of this checkout against the same reads of another revision, in one run on one database: both servers
 * (npm start's door, each built from its own source) are loaded in turn, endpoint by endpoint, round after round
 * (A B B A …), so that whatever else the machine does weighs on both alike; it reports each side's median
 * requests/s, its server's and Postgres's median CPU time per response, and the ratios this ÷ that. The other
 * revision is checked out in a temporary git worktree and shares this checkout's node_modules. It asserts nothing.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { migrate } from '../scripts/lib/migrate';
import { freePort } from '../scripts/lib/net';
import { ROOT } from './doors';
import { reads } from './endpoints';
import { countCpu, load } from './load';
import { openBenchDatabase, resetEmbeddedDatabase, restartForMeasuring } from './postgres';
import { spawnGroup, untilAnswers } from './procs';
import { FULL, QUICK, seed } from './seed';

const say = (line: string) => process.stderr.write(`[compare] ${line}\n`);
const { values: args } = parseArgs({
  options: {
    against: { type: 'string' },
    quick: { type: 'boolean', default: false },
    reuse: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '4' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    // each server writes a V8 CPU profile (.cpuprofile) of its whole run into DIR/<revision>/ when it stops
    profile: { type: 'string' },
  },
});
if (!args.against) {
  process.stderr.write('usage: npm run bench:compare -- --against=<git revision> [--quick] [--reuse] [--rounds=N]\n');
  process.exit(2);
}
const quick = args.quick || process.env.BENCH_SIZE === 'small';
const rounds = Number(args.rounds);
const durationS = Number(args.duration ?? (quick ? 3 : 5));
const warmupS = Number(args.warmup ?? 1);
const git = (...argv: string[]) => spawnSync('git', argv, { cwd: ROOT, encoding: 'utf8' });
const revision = (rev: string) => git('rev-parse', '--short', rev).stdout.trim();

/** npm start's server from the source at `root`, serving `databaseUrl` (already migrated) on a free port. */
async function serverAt(root: string, databaseUrl: string, artifactsDir: string, name: string) {
  const port = await freePort();
  const profiling = args.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(args.profile, name)}`] : [];
  const group = spawnGroup(process.execPath, [...profiling, path.join(root, 'scripts', 'start.mjs'), '--serve-only'], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      ARTIFACTS_DIR: artifactsDir,
      LOG_LEVEL: 'warn',
      WEBHOOK_DELIVERER: 'false',
    },
  });
  const origin = `http://127.0.0.1:${port}`;
  await untilAnswers(`${origin}/api/v1/health`, performance.now(), 120_000, () => group.child.exitCode === null);
  return { origin, pid: group.child.pid, stop: group.stop };
}

/** Each side's measures by read: median requests/s, and CPU µs per response of the server and of Postgres. */
const measures = () => ({
  rps: new Map<string, number[]>(),
  serverUs: new Map<string, number[]>(),
  postgresUs: new Map<string, number[]>(),
});

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

async function main(): Promise<void> {
  const here = revision('HEAD');
  const there = revision(args.against as string);
  if (!there) throw new Error(`${args.against} is not a revision of this repository`);
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), `gitweave-compare-${there}-`));
  const artifactsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gitweave-compare-artifacts-'));
  const added = git('worktree', 'add', '--detach', tree, there);
  if (added.status !== 0) throw new Error(added.stderr);
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(tree, 'node_modules'));
  // the dashboard's bundle (made by npm ci, not in git): its server bundles it, though no read here asks for it
  fs.cpSync(path.join(ROOT, 'web', 'dist'), path.join(tree, 'web', 'dist'), { recursive: true });
  let database = await openBenchDatabase({ fast: !args.reuse, log: say });
  const servers: Array<{ stop(): Promise<void> }> = [];
  try {
    if (!args.reuse) await resetEmbeddedDatabase(database.url);
    await migrate(database.url, say);
    const data = await seed(database.url, quick ? QUICK : FULL, { reuse: args.reuse, log: say });
    if (!args.reuse) database = await restartForMeasuring(database, say);
    const sides = [
      { name: here, server: await serverAt(ROOT, database.url, artifactsDir, here), ...measures() },
      { name: there, server: await serverAt(tree, database.url, artifactsDir, there), ...measures() },
    ];
    servers.push(...sides.map((side) => side.server));
    const loadAverage = [os.loadavg()[0]];
    for (let round = 0; round < rounds; round++) {
      for (const endpoint of Object.values(reads(data))) {
        // A B in even rounds, B A in odd ones: neither side always goes first
        for (const side of round % 2 ? [...sides].reverse() : sides) {
          const run = (seconds: number) =>
            load(side.server.origin, [endpoint.target], { connections: 10, durationS: seconds });
          await run(warmupS);
          const cpu = countCpu(side.server.pid, database.pids);
          const measured = await run(durationS);
          const cost = cpu.stop(measured.responses);
          if (measured.unexpected || measured.errors) {
            throw new Error(`${endpoint.name} on ${side.name}: ${JSON.stringify(measured.statuses)}`);
          }
          const add = (into: Map<string, number[]>, value: number | null) => {
            if (value !== null) into.set(endpoint.name, [...(into.get(endpoint.name) ?? []), value]);
          };
          add(side.rps, measured.rps);
          add(side.serverUs, cost.serverUs);
          add(side.postgresUs, cost.postgresUs);
        }
      }
      say(`round ${round + 1} of ${rounds} done`);
    }
    loadAverage.push(os.loadavg()[0]);
    const [mine, theirs] = sides as [(typeof sides)[0], (typeof sides)[0]];
    const of = (side: typeof mine, what: 'rps' | 'serverUs' | 'postgresUs', name: string) =>
      median(side[what].get(name) ?? [NaN]);
    const ratio = (what: 'rps' | 'serverUs' | 'postgresUs', name: string) =>
      (of(mine, what, name) / of(theirs, what, name)).toFixed(3);
    const rows = [...mine.rps.keys()].map(
      (name) =>
        `| ${name} | ${Math.round(of(mine, 'rps', name))} | ${Math.round(of(theirs, 'rps', name))} | ${ratio('rps', name)} | ` +
        `${of(mine, 'serverUs', name)} / ${of(theirs, 'serverUs', name)} | ${ratio('serverUs', name)} | ` +
        `${of(mine, 'postgresUs', name)} / ${of(theirs, 'postgresUs', name)} | ${ratio('postgresUs', name)} |`,
    );
    process.stdout.write(
      [
        `Reads, median req/s of ${rounds} rounds of ${durationS} s (10 connections, ${quick ? 'quick' : 'full'} data; load average ${loadAverage.map((l) => l?.toFixed(1)).join(' → ')} on ${os.cpus().length} CPUs)`,
        '',
        // CPU time per response is what a shared machine disturbs least: the other processes slow both sides' clocks
        // alike but add no CPU time to either server (npm start's process) or to Postgres
        `| read | ${here} (this) req/s | ${there} req/s | this ÷ that | server CPU µs/response (this / that) | this ÷ that | Postgres CPU µs/response | this ÷ that |`,
        '|---|---:|---:|---:|---:|---:|---:|---:|',
        ...rows,
        '',
      ].join('\n'),
    );
  } finally {
    await Promise.all(servers.map((server) => server.stop().catch(() => undefined)));
    await database.stop().catch(() => undefined);
    git('worktree', 'remove', '--force', tree);
    fs.rmSync(artifactsDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  say(String(err instanceof Error ? err.stack : err));
  process.exit(1);
});
