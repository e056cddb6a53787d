/**
 * npm run bench:feed [-- --quick] [-- --reuse] [-- --duration=S --rounds=N --connections=N]
 *
 * The feed's target: "reading the feed at the full data set as fast as a list page". On the bench data set
 * (bench/seed.ts, with the events of the big repo's 100,000 releases and 1,000,000 deployments seeded in SQL), npm
 * start's server is loaded in turn with a list page (GET /repos/{big}/releases, the newest 20, and the page after
 * the release at 90% of the history) and with feed pages (20 events after a random place in the big repo's feed, and
 * in the org's), for `rounds` rounds, alternating, so that each ratio is of figures taken together. It writes
 * bench/results/<date>-feed[-quick].json and prints the medians and the ratios; it asserts nothing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { feedCursor } from '../lib/domain/feed';
import { encodeTimeCursor } from '../lib/infra/cursor';
import { migrate } from '../scripts/lib/migrate';
import { type Door, openDoor, ROOT } from './doors';
import { countCpu, load, type Measurement, type Target } from './load';
import { type BenchDatabase, openBenchDatabase, resetEmbeddedDatabase, restartForMeasuring } from './postgres';
import { FULL, QUICK, type Seeded, seed } from './seed';

const say = (line: string) => process.stderr.write(`[bench:feed] ${line}\n`);
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    reuse: { type: 'boolean', default: false },
    duration: { type: 'string' },
    rounds: { type: 'string' },
    connections: { type: 'string' },
  },
});
const quick = args.quick || process.env.BENCH_SIZE === 'small';
const sizes = quick ? QUICK : FULL;
const durationS = Number(args.duration ?? (quick ? 3 : 10));
const rounds = Number(args.rounds ?? 3);
const connections = Number(args.connections ?? 10);
const artifactsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gitweave-bench-feed-'));
const API = '/api/v1';

function rotate(values: string[]): () => string {
  let next = 0;
  return () => values[next++ % values.length]!;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const round = (value: number) => Math.round(value * 100) / 100;

async function countEvents(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM events')).rows[0]!.n;
  } finally {
    await client.end();
  }
}

async function main(url: string, data: Seeded, doors: Door[], postgresPids: () => number[]) {
  const door = await openDoor('server', url, { ARTIFACTS_DIR: artifactsDir });
  doors.push(door);
  const headers = { authorization: `Bearer ${data.token}` };
  const { big } = data.repos;
  const positions = data.feedPositions.length ? data.feedPositions : [{ txid: '0', seq: '0' }];
  const repoCursors = positions.map((p) => encodeURIComponent(feedCursor({ kind: 'repo', id: big }, p)));
  const orgCursors = positions.map((p) => encodeURIComponent(feedCursor({ kind: 'org', id: data.orgId }, p)));
  const deep = encodeURIComponent(
    encodeTimeCursor('releases', { at: data.deepAfter.big.createdAt, id: data.deepAfter.big.id }),
  );
  const repoPage = rotate(repoCursors);
  const orgPage = rotate(orgCursors);
  const targets: Target[] = [
    { name: 'list page', method: 'GET', path: () => `${API}/repos/${big}/releases`, headers },
    { name: 'deep list page', method: 'GET', path: () => `${API}/repos/${big}/releases?cursor=${deep}`, headers },
    { name: 'repo feed page', method: 'GET', path: () => `${API}/repos/${big}/events?after=${repoPage()}`, headers },
    {
      name: 'org feed page',
      method: 'GET',
      path: () => `${API}/orgs/${data.orgId}/events?after=${orgPage()}`,
      headers,
    },
  ];
  const loadAtStart = os.loadavg()[0];
  const bytes: Record<string, number> = {};
  for (const target of targets) {
    const res = await fetch(door.origin + target.path(), { headers });
    const text = await res.text();
    const body = JSON.parse(text) as { items?: unknown[] };
    if (res.status !== 200 || body.items?.length !== 20) {
      throw new Error(`${target.name} answered ${res.status} with ${body.items?.length} items`);
    }
    bytes[target.name] = Buffer.byteLength(text);
    await load(door.origin, [target], { connections, durationS: 1 });
  }
  const runs: Record<string, Measurement[]> = Object.fromEntries(targets.map((t) => [t.name, []]));
  for (let r = 1; r <= rounds; r++) {
    for (const target of targets) {
      const cpu = countCpu(door.pid, postgresPids);
      const m = await load(door.origin, [target], { connections, durationS });
      m.cpu = cpu.stop(m.responses);
      runs[target.name]!.push(m);
      say(
        `round ${r}: ${target.name}: ${m.rps} req/s, p50 ${m.p50} ms, p99 ${m.p99} ms, ${m.unexpected} unexpected, ` +
          `CPU µs/req server ${m.cpu.serverUs}, Postgres ${m.cpu.postgresUs}`,
      );
    }
  }
  const summary = Object.fromEntries(
    targets.map((t) => {
      const ms = runs[t.name]!;
      return [
        t.name,
        {
          rps: median(ms.map((m) => m.rps)),
          p50: median(ms.map((m) => m.p50)),
          p99: median(ms.map((m) => m.p99)),
          serverUs: median(ms.map((m) => m.cpu?.serverUs ?? Number.NaN)),
          postgresUs: median(ms.map((m) => m.cpu?.postgresUs ?? Number.NaN)),
          bytes: bytes[t.name] ?? 0,
        },
      ];
    }),
  );
  const list = summary['list page']!;
  const ratios = Object.fromEntries(
    ['repo feed page', 'org feed page'].flatMap((name) => [
      [`${name} / list page, req/s`, round(summary[name]!.rps / list.rps)],
      [`${name} / list page, p50`, round(summary[name]!.p50 / list.p50)],
    ]),
  );
  const events = await countEvents(url);
  const date = new Date().toISOString().slice(0, 10);
  const result = {
    date,
    mode: sizes.label,
    sizes,
    events,
    machine: { cpus: os.cpus().length, loadAverage: { start: loadAtStart, end: os.loadavg()[0] } },
    settings: { connections, durationS, rounds },
    requests: Object.fromEntries(targets.map((t) => [t.name, `GET ${t.path().replace(/=[^&]+/g, '=…')}`])),
    medians: summary,
    ratios,
    runs,
  };
  const file = path.join(ROOT, 'bench', 'results', `${date}-feed${quick ? '-quick' : ''}.json`);
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  say(`results written to ${path.relative(ROOT, file)}`);
  const lines = [
    `| ${sizes.label} data set, ${events} events | req/s | p50 ms | p99 ms | CPU µs/req server / Postgres | response bytes |`,
    '|---|---|---|---|---|---|',
    ...targets.map((t) => {
      const m = summary[t.name]!;
      return `| ${t.name} | ${m.rps} | ${m.p50} | ${m.p99} | ${m.serverUs} / ${m.postgresUs} | ${m.bytes} |`;
    }),
    '',
    ...Object.entries(ratios).map(([name, value]) => `- ${name}: ${value}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

(async () => {
  const doors: Door[] = [];
  let database: BenchDatabase | undefined;
  try {
    database = await openBenchDatabase({ fast: !args.reuse, log: say });
    if (!args.reuse) await resetEmbeddedDatabase(database.url);
    await migrate(database.url, say);
    const data = await seed(database.url, sizes, { reuse: args.reuse, log: say });
    say(`seeded in ${(data.seedMs / 1000).toFixed(1)} s`);
    if (!args.reuse) database = await restartForMeasuring(database, say);
    const running = database;
    await main(running.url, data, doors, () => running.pids());
  } catch (err) {
    say(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  } finally {
    for (const door of doors) await door.stop().catch(() => undefined);
    await database?.stop().catch(() => undefined);
    fs.rmSync(artifactsDir, { recursive: true, force: true });
    process.exit();
  }
})();
