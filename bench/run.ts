/**
 * npm run bench [-- --quick] [-- --reuse] [-- --duration=S --warmup=S --memory=S --connections=N --restarts=N]
 * npm run bench -- --webhooks [--events=N]: the webhook fan-out alone (bench/webhooks.ts)
 * npm run bench -- --only=download [--download-mib=N] [--runs=N]
 * npm run bench -- --only=metrics [--reuse] [--runs=N]: the delivery metrics query alone (bench/metrics.ts)
 * npm run bench -- --soak=S [--rate=N] [--quick] [--reuse]
 *
 * The benchmark. A Postgres of its own, run as npm start runs its embedded one (bench/postgres.ts), seeded
 * in bulk; every read and write loaded over HTTP with autocannon on door 'server' (npm start's server), door
 * 'offline' (serverless-offline), and for the reads two reference servers (bench/reference: naive node:http + pg,
 * bare node:http + lib/), one after the other in the same run, so that every target is a ratio of figures taken
 * together; pgbench on each read's statements; the memory of npm start under mixed load; restart times.
 * Results go to bench/results/<date>.json (<date>-quick.json for --quick) and a Markdown summary to stdout.
 * It reports the targets; it asserts nothing. With --soak, it runs the soak of bench/soak.ts instead, on
 * the same database and data, and writes bench/results/soak-<date>.json.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { migrate } from '../scripts/lib/migrate';
import { type Door, openDoor, openReference, ROOT } from './doors';
import { downloadBench, downloadMarkdown } from './download';
import { reads, writes } from './endpoints';
import { measureEndpoints } from './measure';
import { memoryCheck } from './memory';
import { measureMetrics, metricsMarkdown, seedSpread } from './metrics';
import { findPgbench, pgbenchReads } from './pgbench';
import {
  type BenchDatabase,
  openBenchDatabase,
  resetEmbeddedDatabase,
  restartForMeasuring,
  settingsOf,
} from './postgres';
import { positional, READS } from './reference/statements';
import { judge, markdown, type Results } from './report';
import { FULL, QUICK, seed } from './seed';
import { intervalOf, judgeSoak, type SoakResult, soak, soakMarkdown } from './soak';
import { statementDrift } from './sqlOfLib';
import { measureStartup } from './startup';
import { benchWebhooks, webhookMarkdown } from './webhooks';

const say = (line: string) => process.stderr.write(`[bench] ${line}\n`);

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    reuse: { type: 'boolean', default: false },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    memory: { type: 'string' },
    connections: { type: 'string' },
    restarts: { type: 'string' },
    'no-embedded': { type: 'boolean', default: false },
    webhooks: { type: 'boolean', default: false },
    events: { type: 'string' },
    only: { type: 'string' },
    'download-mib': { type: 'string' },
    runs: { type: 'string' },
    soak: { type: 'string' },
    rate: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (args.help) {
  process.stdout.write(
    [
      'npm run bench [-- options]',
      '  --quick          ~100x less data and shorter runs (also BENCH_SIZE=small)',
      '  --reuse          keep the bench data of an earlier run of the same size instead of seeding anew',
      '  --duration=S     seconds of load per endpoint and server (default 10; quick 3)',
      '  --warmup=S       seconds of warm-up before each (default 3; quick 1)',
      '  --memory=S       seconds of mixed load on npm start for the memory check (default 60; quick 15)',
      '  --connections=N  autocannon connections (default 10)',
      '  --restarts=N     restarts timed per kind (default 5; quick 3)',
      '  --no-embedded    skip timing npm start with its own embedded Postgres',
      '  --webhooks       only the webhook fan-out: --events (default 1000) releases to 3 loopback receivers',
      '  --events=N       events of the webhook fan-out (default 1000)',
      '  --only=download  only the download bench (bench/download.ts): memory of npm start serving one file, and',
      '                   its MB/s against cat of the file; --download-mib=N (default 1024), --runs=N (default 3)',
      '  --only=metrics   only the delivery metrics query, against a history page; --runs=N (default 200)',
      '  --soak=S         instead of all that, the soak: npm start under S seconds of mixed reads and writes at a',
      '                   steady rate (half the capacity measured first with the same mix), reported per minute',
      '  --rate=N         the soak at N requests/s instead',
      'BENCH_DATABASE_URL: a Postgres to use instead of the embedded one under data/bench-postgres',
      'BENCH_PG_PORT: port of the embedded one (default 54349); PGBENCH: the pgbench binary',
      '',
    ].join('\n'),
  );
  process.exit(0);
}

if (args.only !== undefined && args.only !== 'metrics' && args.only !== 'download') {
  process.stderr.write(`--only takes metrics or download, not ${args.only}\n`);
  process.exit(2);
}
const quick = args.quick || process.env.BENCH_SIZE === 'small';
const sizes = quick ? QUICK : FULL;
function positive(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${value}`);
  return n;
}
const settings = {
  connections: Math.round(positive(args.connections, 10, 'connections')),
  durationS: positive(args.duration, quick ? 3 : 10, 'duration'),
  warmupS: positive(args.warmup, quick ? 1 : 3, 'warmup'),
  memoryS: positive(args.memory, quick ? 15 : 60, 'memory'),
  restarts: Math.round(positive(args.restarts, quick ? 3 : 5, 'restarts')),
};
const soakS = args.soak === undefined ? undefined : Math.round(positive(args.soak, 600, 'soak'));
const soakRate = args.rate === undefined ? undefined : Math.round(positive(args.rate, 1, 'rate'));

const artifactsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gitweave-bench-artifacts-'));
let database: BenchDatabase | undefined;
let doors: Door[] = [];

async function cleanup(): Promise<void> {
  await Promise.all(doors.map((door) => door.stop().catch(() => undefined)));
  doors = [];
  await database?.stop().catch(() => undefined);
  database = undefined;
  fs.rmSync(artifactsDir, { recursive: true, force: true });
}

process.on('SIGINT', () => {
  say('interrupted: stopping the servers and Postgres');
  void cleanup().finally(() => process.exit(130));
});

/** --webhooks: the fan-out alone, on the bench Postgres (migrated, not seeded), to <date>-webhooks.json. */
async function webhooksOnly(): Promise<void> {
  const loadAtStart = os.loadavg()[0]!;
  database = await openBenchDatabase({ fast: false, log: say });
  await migrate(database.url, say);
  const events = Math.round(positive(args.events, 1000, 'events'));
  // paced (one write at a time: the latency of one delivery) and burst (--connections writers: a backlog drained)
  const results = [];
  for (const writers of [1, settings.connections]) {
    results.push(await benchWebhooks(database.url, artifactsDir, { events, writers, log: say }));
  }
  const date = new Date().toISOString().slice(0, 10);
  const file = path.join(ROOT, 'bench', 'results', `${date}-webhooks.json`);
  const loadAverage = { start: Math.round(loadAtStart * 100) / 100, end: Math.round(os.loadavg()[0]! * 100) / 100 };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(
    file,
    `${JSON.stringify({ date, loadAverage, cpus: os.cpus().length, webhooks: results }, null, 2)}\n`,
  );
  say(`results written to ${path.relative(ROOT, file)}`);
  process.stdout.write(`${results.map(webhookMarkdown).join('\n\n')}\n`);
}

async function main(): Promise<void> {
  if (args.webhooks) return webhooksOnly();
  const loadAtStart = os.loadavg()[0]!;
  say(`${sizes.label} run: ${JSON.stringify(soakS ? { soakS, rate: soakRate ?? 'half the capacity' } : settings)}`);
  const seedFast = !args.reuse;
  database = await openBenchDatabase({ fast: seedFast, log: say });
  if (!args.reuse) await resetEmbeddedDatabase(database.url);
  await migrate(database.url, say);
  const data = await seed(database.url, sizes, { reuse: args.reuse, log: say });
  if (!data.reused) say(`seeded in ${(data.seedMs / 1000).toFixed(1)} s`);
  if (args.only === 'metrics') await seedSpread(database.url, quick ? 200 : 20_000, say);
  if (seedFast) database = await restartForMeasuring(database, say);
  const url = database.url;
  if (args.only === 'metrics') return metricsOnly(url, data);
  const measuredWith = await settingsOf(url);
  say(`measuring on Postgres with ${JSON.stringify(measuredWith)}`);
  const drift = await statementDrift(READS, positional);
  if (drift.length) say(`SQL drift between lib/ and bench/reference/statements.ts: ${JSON.stringify(drift)}`);

  if (soakS) return runSoak(url, data, measuredWith, loadAtStart, soakS);

  say('starting door server, door offline, the naive and the bare reference');
  const env = { ARTIFACTS_DIR: artifactsDir };
  doors.push(await openDoor('server', url, env));
  doors.push(await openDoor('offline', url, env));
  doors.push(await openReference('naive', url));
  doors.push(await openReference('bare', url));
  const readEndpoints = reads(data);
  const endpoints = [...Object.values(readEndpoints), ...(await writes(doors[0]!.origin, data, artifactsDir))];
  const postgresPids = () => database?.pids() ?? [];
  const endpointResults = await measureEndpoints(endpoints, doors, { ...settings, postgresPids, log: say });
  await Promise.all(doors.map((door) => door.stop()));
  doors = [];

  const pgbench = findPgbench();
  const pgbenchResults = pgbench
    ? await pgbenchReads(pgbench.bin, url, data, {
        clients: settings.connections,
        durationS: settings.durationS,
        log: say,
      })
    : {};
  if (!pgbench) say('pgbench: not found, not measured');

  say(`memory: npm start under ${settings.memoryS} s of mixed load`);
  const memory = await memoryCheck(url, artifactsDir, endpoints, {
    warmupS: Math.max(settings.warmupS, quick ? 3 : 10),
    seconds: settings.memoryS,
    connections: settings.connections,
    postgresPids,
    log: say,
  });
  say('restart checks');
  const startup = await measureStartup(url, artifactsDir, {
    runs: settings.restarts,
    embedded: !args['no-embedded'],
    log: say,
  });

  const date = new Date().toISOString().slice(0, 10);
  const partial: Omit<Results, 'targets'> = {
    date,
    mode: sizes.label,
    sizes,
    machine: machine(),
    loadAverage: { start: Math.round(loadAtStart * 100) / 100, end: Math.round(os.loadavg()[0]! * 100) / 100 },
    settings,
    database: { kind: database.kind, seededFast: seedFast && database.kind === 'embedded', measuredWith },
    seed: { ms: data.seedMs, reused: data.reused },
    statementDrift: drift,
    endpoints: endpointResults,
    pgbench: pgbench ? { version: pgbench.version, results: pgbenchResults } : null,
    startup,
    memory,
  };
  const full: Results = { ...partial, targets: judge(partial) };
  const file = path.join(ROOT, 'bench', 'results', `${date}${quick ? '-quick' : ''}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(full, null, 2)}\n`);
  say(`results written to ${path.relative(ROOT, file)}`);
  process.stdout.write(`${markdown(full)}\n`);
}

/** --only=download: its own small run on the bench database, its results in bench/results/<date>-download.json. */
async function downloadOnly(): Promise<void> {
  database = await openBenchDatabase({ fast: false, log: say });
  await migrate(database.url, say);
  const result = await downloadBench(database.url, {
    sizeBytes: Math.round(positive(args['download-mib'], 1024, 'download-mib') * 1024 * 1024),
    runs: Math.round(positive(args.runs, 3, 'runs')),
    log: say,
  });
  const file = path.join(ROOT, 'bench', 'results', `${new Date().toISOString().slice(0, 10)}-download.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const machine = { cpus: os.cpus().length, node: process.versions.node, loadAverage: os.loadavg()[0] };
  fs.writeFileSync(file, `${JSON.stringify({ ...result, machine }, null, 2)}\n`);
  say(`results written to ${path.relative(ROOT, file)}`);
  process.stdout.write(`${downloadMarkdown(result)}\n`);
}

/** --only=metrics: the metrics query against a history page, to bench/results/<date>-metrics.json. */
async function metricsOnly(url: string, data: Awaited<ReturnType<typeof seed>>): Promise<void> {
  const runs = Math.round(positive(args.runs, quick ? 50 : 200, 'runs'));
  const cases = await measureMetrics(url, data, { runs, warmup: 10, log: say });
  const loadAverage = os.loadavg()[0]!;
  const result = { date: new Date().toISOString(), mode: sizes.label, cpus: os.cpus().length, loadAverage, cases };
  const file = path.join(ROOT, 'bench', 'results', `${result.date.slice(0, 10)}${quick ? '-quick' : ''}-metrics.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  say(`results written to ${path.relative(ROOT, file)}`);
  process.stdout.write(`${metricsMarkdown(cases)}\n`);
}

function machine() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.versions.node,
    platform: `${os.platform()} ${os.release()}`,
  };
}

/** The soak (bench/soak.ts) on the seeded database; the writes' artifacts are registered through door server first. */
async function runSoak(
  url: string,
  data: Awaited<ReturnType<typeof seed>>,
  measuredWith: Record<string, string>,
  loadAtStart: number,
  seconds: number,
): Promise<void> {
  const registering = await openDoor('server', url, { ARTIFACTS_DIR: artifactsDir });
  doors.push(registering);
  const readEndpoints = reads(data);
  const endpoints = [
    readEndpoints.listReleases,
    readEndpoints.getRelease,
    readEndpoints.listDeployments,
    readEndpoints.getDeployment,
    readEndpoints.repoEnvironments,
    ...(await writes(registering.origin, data, artifactsDir)),
  ];
  // and the list that the writes make longer as the soak goes on
  endpoints.push({
    name: 'listReleases (writes repo)',
    kind: 'read',
    request: 'GET /repos/{writes}/releases',
    target: {
      name: 'listWrittenReleases',
      method: 'GET',
      path: () => `/api/v1/repos/${data.repos.writes}/releases`,
      headers: { authorization: `Bearer ${data.token}` },
    },
  });
  await registering.stop();
  doors = [];
  say(`soak: npm start, ${seconds} s, reported every ${intervalOf(seconds)} s`);
  const result = await soak(url, artifactsDir, endpoints, {
    seconds,
    ...(soakRate ? { rate: soakRate } : {}),
    share: 0.5,
    warmupS: settings.warmupS,
    capacityS: settings.durationS,
    connections: settings.connections,
    postgresPids: () => database?.pids() ?? [],
    log: say,
  });
  const date = new Date().toISOString().slice(0, 10);
  const full: SoakResult = { ...result, targets: judgeSoak(result) };
  const file = path.join(ROOT, 'bench', 'results', `soak-${date}${quick ? '-quick' : ''}.json`);
  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
  const written = {
    date,
    commit: commit || null,
    mode: sizes.label,
    sizes,
    machine: machine(),
    loadAverageAtStart: Math.round(loadAtStart * 100) / 100,
    database: { kind: database?.kind, measuredWith },
    seed: { ms: data.seedMs, reused: data.reused },
    soak: full,
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(written, null, 2)}\n`);
  say(`results written to ${path.relative(ROOT, file)}`);
  const m = written.machine;
  const header =
    `### Soak ${date} at ${commit || 'an unknown commit'} (${sizes.label} data: ${sizes.bigReleases.toLocaleString('en')} releases in the big repo), ` +
    `${m.cpus} × ${m.cpuModel}, Node ${m.node}`;
  process.stdout.write(`${soakMarkdown(full, header)}\n`);
}

(args.only === 'download' ? downloadOnly() : main())
  .catch((err: unknown) => {
    say(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    for (const door of doors) if (door.output.length) say(`last output of ${door.name}:\n${door.output.join('\n')}`);
    process.exitCode = 1;
  })
  .finally(() => cleanup())
  .finally(() => process.exit());
