/**
 * npm run bench [-- --quick] [-- --reuse] [-- --duration=S --warmup=S --memory=S --connections=N]
 *
 * Issue 4's benchmark: a Postgres of its own (BENCH_DATABASE_URL, else an embedded cluster under
 * ./data/bench-postgres), seeded in bulk; the API served exactly as npm start serves it; every endpoint loaded
 * over HTTP with autocannon and compared with GET /health in the same run; the scaling, memory and startup checks.
 * Results go to bench/results/<date>.json (<date>-quick.json for --quick) and a Markdown summary to stdout.
 * It reports the targets; it asserts nothing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { type Database, startEmbedded } from '../scripts/lib/database';
import { migrate } from '../scripts/lib/migrate';
import { freePort } from '../scripts/lib/net';
import { type Server, serve } from '../scripts/lib/serve';
import { countCpu, load, type Measurement, postgresPids, residentMiB, type Target } from './load';
import { type EndpointResult, judge, type Kind, markdown, type Results, type ScalingRow } from './report';
import { FULL, QUICK, type Seeded, seed } from './seed';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const say = (line: string) => process.stderr.write(`[bench] ${line}\n`);

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    reuse: { type: 'boolean', default: false },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    memory: { type: 'string' },
    connections: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (args.help) {
  process.stdout.write(
    [
      'npm run bench [-- options]',
      '  --quick          ~100x less data and shorter runs (also BENCH_SIZE=small)',
      '  --reuse          keep the bench data of an earlier run of the same size instead of seeding anew',
      '  --duration=S     seconds of load per endpoint (default 10; quick 3)',
      '  --warmup=S       seconds of warm-up before each (default 3; quick 1)',
      '  --memory=S       seconds of mixed load for the memory check (default 60; quick 15)',
      '  --connections=N  autocannon connections (default 10)',
      'BENCH_DATABASE_URL: a Postgres to use instead of the embedded one under data/bench-postgres',
      'BENCH_PG_PORT: port of the embedded one (default 54349)',
      '',
    ].join('\n'),
  );
  process.exit(0);
}

const quick = args.quick || process.env.BENCH_SIZE === 'small';
const sizes = quick ? QUICK : FULL;
function seconds(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number of seconds, got ${value}`);
  return n;
}
const settings = {
  connections: Math.round(seconds(args.connections, 10, 'connections')),
  durationS: seconds(args.duration, quick ? 3 : 10, 'duration'),
  warmupS: seconds(args.warmup, quick ? 1 : 3, 'warmup'),
  memoryS: seconds(args.memory, quick ? 15 : 60, 'memory'),
};

// ---------------------------------------------------------------------------------------------------------------
// Postgres and the API

const external = process.env.BENCH_DATABASE_URL || undefined;
const EMBEDDED = {
  dataDir: path.join(ROOT, 'data', 'bench-postgres'),
  port: Number(process.env.BENCH_PG_PORT || 54349),
  database: 'gitweave_bench',
  fast: true,
};

async function startDatabase(): Promise<Database> {
  if (external) return { url: external, stop: async () => undefined };
  return startEmbedded({ ...EMBEDDED, log: say });
}

/** Drops and recreates the embedded bench database (an external one keeps its data: seed() replaces the bench org). */
async function resetEmbeddedDatabase(url: string): Promise<void> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${EMBEDDED.database}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${EMBEDDED.database}"`);
  } finally {
    await client.end();
  }
}

const artifactsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gitweave-bench-artifacts-'));
const serverEnv = {
  ARTIFACTS_DIR: artifactsDir,
  LOG_LEVEL: process.env.LOG_LEVEL || 'warn',
  ESBUILD_WORK_FOLDER: '.esbuild-bench',
};
const serverOutput: string[] = [];

/**
 * When the bundles were last written. serverless-esbuild watches every .js/.ts file of the project while
 * serverless-offline runs and rebuilds all functions on any change (an edit, a checkout, another build), which
 * costs the server CPU and memory: a measurement during which this changed is flagged.
 */
const BUNDLE = path.join(ROOT, serverEnv.ESBUILD_WORK_FOLDER, '.build', 'functions', 'health.cjs');
function bundleStamp(): number {
  try {
    return fs.statSync(BUNDLE).mtimeMs;
  } catch {
    return 0;
  }
}

async function startServer(databaseUrl: string): Promise<{ server: Server; ms: number }> {
  const started = performance.now();
  const server = await serve({
    databaseUrl,
    port: await freePort(),
    lambdaPort: await freePort(),
    env: serverEnv,
    output: 'pipe',
  });
  const ms = performance.now() - started;
  // keep the pipes drained (a full pipe would stall the server) and the last lines for a failure report
  for (const stream of [server.child.stdout, server.child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      serverOutput.push(...chunk.split('\n').filter(Boolean));
      serverOutput.splice(0, Math.max(0, serverOutput.length - 50));
    });
  }
  return { server, ms };
}

// ---------------------------------------------------------------------------------------------------------------
// The endpoints

interface Endpoint {
  name: string;
  kind: Kind;
  request: string;
  target: Target;
}

function rotate(ids: string[]): () => string {
  let next = 0;
  return () => ids[next++ % ids.length]!;
}

function cursorAfter(position: { createdAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify(['releases', position.createdAt.toISOString(), position.id]), 'utf8').toString(
    'base64url',
  );
}

const API = '/api/v1';

async function call(origin: string, target: Target): Promise<{ status: number; body: string }> {
  const response = await fetch(origin + target.path(), {
    method: target.method,
    headers: { ...(target.body ? { 'content-type': 'application/json' } : {}), ...target.headers },
    ...(target.body ? { body: target.body() } : {}),
  });
  return { status: response.status, body: await response.text() };
}

async function post(origin: string, token: string, pathname: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await call(origin, {
    name: 'setup',
    method: 'POST',
    path: () => pathname,
    body: () => JSON.stringify(body),
    headers: { authorization: `Bearer ${token}` },
  });
  if (response.status !== 201)
    throw new Error(`POST ${pathname} answered ${response.status}: ${response.body.slice(0, 500)}`);
  return JSON.parse(response.body) as Record<string, unknown>;
}

const ARTIFACT_SETS = 10;

/**
 * The endpoints to load. createRelease links 3 artifacts, from 10 sets of 3 registered here through the API and
 * used in turn (one shared set would make every create lock the same 3 rows); createDeployment deploys to dev
 * (unprotected) a release of the `writes` repo, so the writes leave the measured repos as seeded.
 */
async function endpoints(
  origin: string,
  data: Seeded,
): Promise<{ main: Endpoint[]; scaling: Record<string, Endpoint> }> {
  const auth = { authorization: `Bearer ${data.token}` };
  const stamp = Math.floor(Date.now() / 1000);
  const { big, small, writes } = data.repos;
  const sets: string[][] = [];
  fs.mkdirSync(path.join(artifactsDir, 'builds'), { recursive: true });
  for (let set = 0; set < ARTIFACT_SETS; set++) {
    const ids: string[] = [];
    for (let k = 1; k <= 3; k++) {
      const file = `builds/app-${stamp}-${set}-${k}.tgz`;
      fs.writeFileSync(path.join(artifactsDir, file), Buffer.alloc(16 * 1024, `${set}-${k}`));
      ids.push(
        (await post(origin, data.token, `${API}/repos/${writes}/artifacts`, { name: path.basename(file), path: file }))
          .id as string,
      );
    }
    sets.push(ids);
  }
  const deployTarget = (
    await post(origin, data.token, `${API}/repos/${writes}/releases`, {
      version: `${stamp}.0.0`,
      notes: 'The release the bench deploys.',
      artifactIds: sets[0],
    })
  ).id as string;
  const dev = data.environments.find((env) => env.name === 'dev')!;
  let created = 0;
  const get = (
    name: string,
    kind: Kind,
    request: string,
    pathOf: () => string,
    extra: Partial<Target> = {},
  ): Endpoint => ({
    name,
    kind,
    request,
    target: { name, method: 'GET', path: pathOf, headers: auth, ...extra },
  });
  const bigRelease = rotate(data.bigReleaseIds);
  const main: Endpoint[] = [
    get('GET /health (baseline)', 'baseline', 'GET /health', () => `${API}/health`, { headers: {} }),
    get('listReleases, first page', 'read', 'GET /repos/{big}/releases', () => `${API}/repos/${big}/releases`),
    get(
      'listReleases, deep page',
      'read',
      `GET /repos/{big}/releases?cursor= (after release ${data.deepAfter.big.position})`,
      () => `${API}/repos/${big}/releases?cursor=${cursorAfter(data.deepAfter.big)}`,
    ),
    get(
      'getRelease',
      'read',
      'GET /repos/{big}/releases/{id} (1,000 ids in turn)',
      () => `${API}/repos/${big}/releases/${bigRelease()}`,
    ),
    get(
      'listDeployments',
      'read',
      'GET /repos/{big}/releases/{id}/deployments (1,000 ids in turn)',
      () => `${API}/repos/${big}/releases/${bigRelease()}/deployments`,
    ),
    get(
      'getDeployment',
      'read',
      'GET /deployments/{id} (1,000 ids in turn)',
      rotate(data.deploymentIds.map((id) => `${API}/deployments/${id}`)),
    ),
    get(
      'GET /repos/{repo}/environments',
      'read',
      'GET /repos/{big}/environments',
      () => `${API}/repos/${big}/environments`,
    ),
    {
      name: 'createRelease (3 artifacts)',
      kind: 'write',
      request: 'POST /repos/{writes}/releases',
      target: {
        name: 'createRelease',
        method: 'POST',
        path: () => `${API}/repos/${writes}/releases`,
        headers: auth,
        body: () => {
          const n = created++;
          return JSON.stringify({
            version: `${stamp}.1.${n}`,
            notes: `## ${n}\n\n- bench`,
            artifactIds: sets[n % ARTIFACT_SETS],
          });
        },
      },
    },
    {
      name: 'createDeployment',
      kind: 'write',
      request: 'POST /repos/{writes}/releases/{id}/deployments (dev)',
      target: {
        name: 'createDeployment',
        method: 'POST',
        path: () => `${API}/repos/${writes}/releases/${deployTarget}/deployments`,
        headers: auth,
        body: () => JSON.stringify({ environmentId: dev.id }),
      },
    },
    get(
      'diag: route not found (serverless-offline only)',
      'diagnostic',
      'GET /no-such-route → 404',
      () => `${API}/bench/no-such-route`,
      {
        headers: {},
        expect: [404],
      },
    ),
    get(
      'diag: no token (Lambda emulation + middy, no SQL)',
      'diagnostic',
      'GET /repos/{big}/releases → 401',
      () => `${API}/repos/${big}/releases`,
      {
        headers: {},
        expect: [401],
      },
    ),
    get(
      'diag: unknown token (+1 SQL: token lookup)',
      'diagnostic',
      'GET /repos/{big}/releases → 401',
      () => `${API}/repos/${big}/releases`,
      {
        headers: { authorization: `Bearer gwr_${'A'.repeat(43)}` },
        expect: [401],
      },
    ),
    get(
      'diag: getArtifact (auth + repo + 1 row: 3 SQL)',
      'diagnostic',
      'GET /repos/{writes}/artifacts/{id}',
      () => `${API}/repos/${writes}/artifacts/${sets[0]![0]}`,
    ),
  ];
  const scaling: Record<string, Endpoint> = {
    smallFirst: get('listReleases, first page (small)', 'read', '', () => `${API}/repos/${small}/releases`),
    smallDeep: get(
      'listReleases, deep page (small)',
      'read',
      '',
      () => `${API}/repos/${small}/releases?cursor=${cursorAfter(data.deepAfter.small)}`,
    ),
    smallGet: get(
      'getRelease (small)',
      'read',
      '',
      rotate(data.smallReleaseIds.map((id) => `${API}/repos/${small}/releases/${id}`)),
    ),
    hotGet: get('getRelease (10k deployments)', 'read', '', () => `${API}/repos/${big}/releases/${data.hotReleaseId}`),
    hotList: get(
      'listDeployments (10k deployments)',
      'read',
      '',
      () => `${API}/repos/${big}/releases/${data.hotReleaseId}/deployments`,
    ),
  };
  return { main, scaling };
}

/** Whether an endpoint answers as it should; a route serverless-offline does not have is told apart. */
async function probe(origin: string, endpoint: Endpoint): Promise<Pick<EndpointResult, 'state' | 'probe'>> {
  const answer = await call(origin, endpoint.target);
  const good = endpoint.target.expect
    ? endpoint.target.expect.includes(answer.status)
    : answer.status >= 200 && answer.status < 300;
  const probeResult = { status: answer.status, body: answer.body.slice(0, 300) };
  if (good) return { state: 'ok' };
  if (answer.status === 404 && answer.body.includes('Serverless-offline: route not found'))
    return { state: 'route not found', probe: probeResult };
  return { state: 'probe failed', probe: probeResult };
}

// ---------------------------------------------------------------------------------------------------------------
// The run

let database: Database | undefined;
let server: Server | undefined;

async function cleanup(): Promise<void> {
  await server?.stop().catch(() => undefined);
  server = undefined;
  await database?.stop().catch(() => undefined);
  database = undefined;
  fs.rmSync(artifactsDir, { recursive: true, force: true });
}

process.on('SIGINT', () => {
  say('interrupted: stopping the server and Postgres');
  void cleanup().finally(() => process.exit(130));
});

async function main(): Promise<void> {
  const loadAtStart = os.loadavg()[0]!;
  say(`${sizes.label} run: ${JSON.stringify(settings)}`);
  database = await startDatabase();
  if (!external && !args.reuse) await resetEmbeddedDatabase(database.url);
  await migrate(database.url, say);
  const data = await seed(database.url, sizes, { reuse: args.reuse, log: say });
  if (!data.reused) say(`seeded in ${(data.seedMs / 1000).toFixed(1)} s`);

  say('starting the API (serverless-offline, as npm start serves it)');
  const first = await startServer(database.url);
  server = first.server;
  const origin = new URL(server.url).origin;
  say(`serving on ${server.url} (pid ${server.child.pid}) after ${(first.ms / 1000).toFixed(1)} s`);

  const { main: list, scaling } = await endpoints(origin, data);
  const results: EndpointResult[] = [];
  for (const endpoint of list) {
    const state = await probe(origin, endpoint);
    if (state.state !== 'ok')
      say(`${endpoint.name}: ${state.state} (${state.probe?.status} ${state.probe?.body.slice(0, 120)})`);
    results.push({ name: endpoint.name, kind: endpoint.kind, request: endpoint.request, ...state });
  }
  const available = list.filter((_, i) => results[i]!.state === 'ok');
  const run = (targets: Target[], connections = settings.connections, durationS = settings.durationS) =>
    load(origin, targets, { connections, durationS });

  say(`warm-up: ${settings.warmupS} s on each endpoint`);
  for (const endpoint of available) await run([endpoint.target], settings.connections, settings.warmupS);

  const mixed = available.filter((endpoint) => endpoint.kind === 'read' || endpoint.kind === 'write');
  const pid = server.child.pid;
  const pgPids = () => (external ? [] : postgresPids(EMBEDDED.dataDir));
  const afterWarmupMiB = residentMiB(pid);
  say(
    `memory: ${afterWarmupMiB} MiB after warm-up; ${settings.memoryS} s of mixed load over ${mixed.length} endpoints`,
  );
  const samples: Array<{ s: number; MiB: number | null }> = [{ s: 0, MiB: afterWarmupMiB }];
  const loadStarted = Date.now();
  const sampler = setInterval(
    () => samples.push({ s: Math.round((Date.now() - loadStarted) / 1000), MiB: residentMiB(pid) }),
    5000,
  );
  const mixedCpu = countCpu(pid, pgPids);
  const mixedStamp = bundleStamp();
  const mixedLoad = await run(
    mixed.map((endpoint) => endpoint.target),
    settings.connections,
    settings.memoryS,
  );
  mixedLoad.cpu = mixedCpu.stop(mixedLoad.responses);
  if (bundleStamp() !== mixedStamp) mixedLoad.rebuilt = true;
  clearInterval(sampler);
  const afterLoadMiB = residentMiB(pid);
  samples.push({ s: Math.round((Date.now() - loadStarted) / 1000), MiB: afterLoadMiB });
  say(`memory: ${afterLoadMiB} MiB after the mixed load (${mixedLoad.rps} req/s, ${mixedLoad.unexpected} non-2xx)`);

  const measure = async (
    endpoint: Endpoint,
    connections = settings.connections,
    durationS = settings.durationS,
  ): Promise<Measurement> => {
    await run([endpoint.target], connections, settings.warmupS);
    const cpu = countCpu(pid, pgPids);
    const stamp = bundleStamp();
    const m = await run([endpoint.target], connections, durationS);
    m.cpu = cpu.stop(m.responses);
    if (bundleStamp() !== stamp) m.rebuilt = true;
    say(
      `${endpoint.name} [${connections} conn.]: ${m.rps} req/s, p50 ${m.p50} ms, p99 ${m.p99} ms, ${m.errors} errors, ` +
        `${m.unexpected} unexpected; CPU µs/req server ${m.cpu.serverUs}, Postgres ${m.cpu.postgresUs}, autocannon ${m.cpu.loadGeneratorUs}; other processes ${m.cpu.otherShare}` +
        `${m.rebuilt ? '; THE SERVER REBUILT ITS BUNDLES MEANWHILE' : ''}`,
    );
    return m;
  };
  for (const [i, endpoint] of list.entries()) {
    if (results[i]!.state === 'ok') results[i]!.measurement = await measure(endpoint);
  }
  const baseline = results[0]!.measurement!;
  const ratio = (m: Measurement) => (baseline.rps > 0 ? Math.round((m.rps / baseline.rps) * 1000) / 1000 : undefined);
  const cpuOf = (m: Measurement) =>
    m.cpu?.serverUs != null && m.cpu.postgresUs != null ? m.cpu.serverUs + m.cpu.postgresUs : null;
  const cpuRatio = (m: Measurement) => {
    const mine = cpuOf(m);
    const base = cpuOf(baseline);
    return mine && base ? Math.round((base / mine) * 1000) / 1000 : undefined;
  };
  for (const result of results) {
    if (!result.measurement) continue;
    result.ratio = ratio(result.measurement);
    result.cpuRatio = cpuRatio(result.measurement);
  }

  say('scaling check');
  const single = Math.max(2, settings.durationS / 2);
  const p50s = async (endpoint: Endpoint | undefined, known?: Measurement) => {
    if (!endpoint || (await probe(origin, endpoint)).state !== 'ok') return { p50: null, p50Single: null };
    const loaded = known ?? (await measure(endpoint));
    const alone = await measure(endpoint, 1, single);
    return { p50: loaded.p50, p50Single: alone.p50 };
  };
  const byName = (name: string) => results.find((result) => result.name === name);
  const mainEndpoint = (name: string) =>
    byName(name)?.state === 'ok' ? list.find((endpoint) => endpoint.name === name) : undefined;
  const smallN = sizes.smallReleases.toLocaleString('en');
  const bigN = sizes.bigReleases.toLocaleString('en');
  const bigGet = await p50s(mainEndpoint('getRelease'), byName('getRelease')?.measurement);
  const bigList = await p50s(mainEndpoint('listDeployments'), byName('listDeployments')?.measurement);
  const scalingRows: ScalingRow[] = [
    {
      what: 'listReleases first page',
      small: { label: `${smallN} releases`, ...(await p50s(scaling.smallFirst)) },
      large: {
        label: `${bigN} releases`,
        ...(await p50s(mainEndpoint('listReleases, first page'), byName('listReleases, first page')?.measurement)),
      },
    },
    {
      what: `listReleases deep page (after release ${data.deepAfter.small.position} / ${data.deepAfter.big.position})`,
      small: { label: `${smallN} releases`, ...(await p50s(scaling.smallDeep)) },
      large: {
        label: `${bigN} releases`,
        ...(await p50s(mainEndpoint('listReleases, deep page'), byName('listReleases, deep page')?.measurement)),
      },
    },
    {
      what: 'getRelease',
      small: { label: `${smallN} releases`, ...(await p50s(scaling.smallGet)) },
      large: { label: `${bigN} releases`, ...bigGet },
    },
    {
      what: 'getRelease, ~10 vs many deployments',
      small: { label: '~10 deployments', ...bigGet },
      large: { label: `${sizes.hotDeployments.toLocaleString('en')} deployments`, ...(await p50s(scaling.hotGet)) },
    },
    {
      what: 'listDeployments, ~10 vs many deployments',
      small: { label: '~10 deployments', ...bigList },
      large: { label: `${sizes.hotDeployments.toLocaleString('en')} deployments`, ...(await p50s(scaling.hotList)) },
    },
  ];

  const healthAgain = await measure(list[0]!);
  results.push({
    name: 'diag: GET /health again, at the end (drift)',
    kind: 'diagnostic',
    request: 'GET /health',
    state: 'ok',
    measurement: healthAgain,
    ...(ratio(healthAgain) !== undefined ? { ratio: ratio(healthAgain) } : {}),
    ...(cpuRatio(healthAgain) !== undefined ? { cpuRatio: cpuRatio(healthAgain) } : {}),
  });
  const atEndMiB = residentMiB(pid);

  say('startup check: stopping the server and Postgres, then starting them again on the seeded data');
  await server.stop();
  server = undefined;
  await database.stop();
  database = undefined;
  const t0 = performance.now();
  database = await startDatabase();
  const t1 = performance.now();
  await migrate(database.url);
  const t2 = performance.now();
  const again = await startServer(database.url);
  server = again.server;
  const t3 = performance.now();
  const startup = {
    firstServeMs: Math.round(first.ms),
    postgresMs: external ? null : Math.round(t1 - t0),
    migrateMs: Math.round(t2 - t1),
    serveMs: Math.round(t3 - t2),
    totalMs: Math.round(t3 - t0),
  };
  say(
    `startup: ${startup.totalMs} ms (Postgres ${startup.postgresMs === null ? 'external' : `${startup.postgresMs} ms`}, migrate ${startup.migrateMs} ms, serve ${startup.serveMs} ms)`,
  );

  const date = new Date().toISOString().slice(0, 10);
  const cpus = os.cpus();
  const partial: Omit<Results, 'targets'> = {
    date,
    mode: sizes.label,
    sizes,
    machine: {
      cpus: cpus.length,
      cpuModel: cpus[0]?.model.trim() ?? 'unknown',
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.versions.node,
      platform: `${os.platform()} ${os.release()}`,
      loadAverage: { start: Math.round(loadAtStart * 100) / 100, end: Math.round(os.loadavg()[0]! * 100) / 100 },
    },
    settings,
    database: external ? 'BENCH_DATABASE_URL' : 'embedded',
    seed: { ms: data.seedMs, reused: data.reused },
    endpoints: results,
    scaling: scalingRows,
    memory: {
      afterWarmupMiB,
      afterLoadMiB,
      ratio: afterWarmupMiB && afterLoadMiB ? Math.round((afterLoadMiB / afterWarmupMiB) * 1000) / 1000 : null,
      samples,
      atEndMiB,
      load: mixedLoad,
    },
    startup,
  };
  const full: Results = { ...partial, targets: judge(partial) };
  const file = path.join(ROOT, 'bench', 'results', `${date}${quick ? '-quick' : ''}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(full, null, 2)}\n`);
  say(`results written to ${path.relative(ROOT, file)}`);
  process.stdout.write(`${markdown(full)}\n`);
}

main()
  .catch((err: unknown) => {
    say(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    if (serverOutput.length) say(`last server output:\n${serverOutput.join('\n')}`);
    process.exitCode = 1;
  })
  .finally(() => cleanup())
  .finally(() => process.exit());
