/** The bench's results: their shape in bench/results/<date>.json, its targets, and the Markdown summary. */
import type { DoorName } from './doors';
import type { Measurement } from './load';
import { type EndpointResult, measured } from './measure';
import type { MemoryCheck } from './memory';
import type { PgbenchResult } from './pgbench';
import type { Read } from './reference/statements';
import type { Sizes } from './seed';
import { median, type Startup } from './startup';

export interface Target {
  /** the group it is reported in: one table per target */
  group: string;
  name: string;
  /** the measured figure (a ratio, seconds or MiB) and the bound it is held to */
  value: number | null;
  bound: string;
  pass: boolean | null;
  note?: string;
}

export interface Results {
  date: string;
  mode: Sizes['label'];
  sizes: Sizes;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string };
  /** the 1-minute load average when the run started and ended: above the CPU count, other work competed */
  loadAverage: { start: number; end: number };
  settings: { connections: number; durationS: number; warmupS: number; memoryS: number; restarts: number };
  database: { kind: string; seededFast: boolean; measuredWith: Record<string, string> };
  seed: { ms: number; reused: boolean };
  /** reads whose hand-copied SQL (naive reference, pgbench) no longer equals lib's */
  statementDrift: Array<{ read: string; index: number; lib: string; copy: string }>;
  endpoints: EndpointResult[];
  pgbench: { version: string; results: Partial<Record<Read, PgbenchResult>> } | null;
  startup: Startup;
  memory: MemoryCheck;
  targets: Target[];
}

const ratio = (a: number | undefined | null, b: number | undefined | null) =>
  a == null || b == null || b === 0 ? null : Math.round((a / b) * 1000) / 1000;

function held(
  group: string,
  name: string,
  value: number | null,
  bound: number,
  at: 'min' | 'max',
  note?: string,
): Target {
  const pass = value === null ? null : at === 'min' ? value >= bound : value <= bound;
  return { group, name, value, bound: `${at === 'min' ? '≥' : '≤'} ${bound}`, pass, ...(note ? { note } : {}) };
}

/** Each target of the bench, judged on this run's figures (reported, never asserted). */
export function judge(results: Omit<Results, 'targets'>): Target[] {
  const targets: Target[] = [];
  const rps = (endpoint: EndpointResult, door: DoorName) => measured(endpoint.doors[door])?.rps;
  const reads = results.endpoints.filter((e) => e.kind === 'read');
  for (const e of reads)
    targets.push(held('server vs offline (reads)', e.name, ratio(rps(e, 'server'), rps(e, 'offline')), 3, 'min'));
  for (const e of reads)
    targets.push(held('server vs naive node:http + pg', e.name, ratio(rps(e, 'server'), rps(e, 'naive')), 1, 'min'));
  for (const e of reads)
    targets.push(held('server vs bare node:http + lib/', e.name, ratio(rps(e, 'server'), rps(e, 'bare')), 0.8, 'min'));
  for (const e of results.endpoints.filter((x) => x.kind === 'write')) {
    targets.push(held('server vs offline (writes)', e.name, ratio(rps(e, 'server'), rps(e, 'offline')), 2, 'min'));
  }
  for (const e of reads) {
    const m = measured(e.doors.server);
    targets.push(held('p99 ÷ p50 at 10 connections (server)', e.name, ratio(m?.p99, m?.p50), 2.5, 'max'));
  }
  const s = (ms: number | null) => (ms === null ? null : Math.round(ms) / 1000);
  const { startup, memory } = results;
  targets.push(held('restart (s, median)', 'server process spawn → /health', s(median(startup.serverMs)), 1, 'max'));
  targets.push(
    held('restart (s, median)', 'npm start (DATABASE_URL set) → /health', s(median(startup.npmStartMs)), 2, 'max'),
  );
  targets.push({
    group: 'restart (s, median)',
    name: 'npm start, embedded Postgres → /health',
    value: s(median(startup.embeddedMs ?? [])),
    bound: 'reported',
    pass: null,
    ...(startup.embeddedError ? { note: startup.embeddedError } : {}),
  });
  const pg = memory.postgresAfterLoad;
  targets.push(
    held(
      'memory (npm start tree, Postgres aside)',
      'RSS after mixed load (MiB)',
      memory.afterLoad.rssMiB,
      200,
      'max',
      `PSS ${memory.afterLoad.pssMiB} MiB; Postgres ${pg.rssMiB ?? '–'} MiB RSS, ${pg.pssMiB ?? '–'} MiB PSS`,
    ),
  );
  targets.push(
    held('memory (npm start tree, Postgres aside)', 'after load ÷ after warm-up', memory.growth, 1.1, 'max'),
  );
  return targets;
}

const fixed = (value: number | null | undefined, digits = 2) =>
  value == null || !Number.isFinite(value) ? '–' : value.toFixed(digits);
const verdict = (t: Target) => (t.pass === null ? 'n/a' : t.pass ? 'PASS' : 'MISS');

/** The Markdown summary printed at the end of a run. */
export function markdown(results: Results): string {
  const { sizes, machine, settings } = results;
  const lines: string[] = [
    `### Benchmark ${results.date} (${results.mode}: ${sizes.bigReleases.toLocaleString('en')} releases and ` +
      `${sizes.bigDeployments.toLocaleString('en')} deployments in the big repo)`,
    '',
    `${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}; autocannon ` +
      `${settings.connections} connections, ${settings.durationS} s per endpoint and server after ${settings.warmupS} s ` +
      `of warm-up; load generator, servers and Postgres on one machine (load average ${results.loadAverage.start} → ` +
      `${results.loadAverage.end}). Postgres (${results.database.kind}) measured with ` +
      `${Object.entries(results.database.measuredWith)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}` +
      `${results.database.seededFast ? '; seeded with fsync off, then restarted as npm start runs it' : ''}.`,
  ];
  if (results.statementDrift.length) {
    lines.push(
      '',
      `**SQL drift**: the naive reference and pgbench run other SQL than lib/ for ${results.statementDrift.map((d) => d.read).join(', ')}; update bench/reference/statements.ts.`,
    );
  }
  lines.push(
    '',
    '| endpoint | server req/s | offline | naive | bare | p50 / p99 ms (server) | pgbench tps simple / prepared | server ÷ prepared |',
    '|---|--:|--:|--:|--:|--:|--:|--:|',
  );
  for (const e of results.endpoints) {
    const cell = (door: DoorName) => {
      const value = e.doors[door];
      return value === undefined
        ? ''
        : 'rps' in value
          ? fixed(value.rps, 0)
          : `not measured (${value.problem.slice(0, 3)})`;
    };
    const server = measured(e.doors.server);
    const pgb = results.pgbench?.results[e.name as Read];
    lines.push(
      `| ${e.name} | ${cell('server')} | ${cell('offline')} | ${cell('naive')} | ${cell('bare')} | ${fixed(server?.p50)} / ${fixed(server?.p99)} | ` +
        `${pgb ? `${fixed(pgb.simpleTps, 0)} / ${fixed(pgb.preparedTps, 0)}` : ''} | ${pgb ? fixed(ratio(server?.rps, pgb.preparedTps)) : ''} |`,
    );
  }
  if (!results.pgbench) lines.push('', 'pgbench: not measured (no pgbench binary found).');
  const disturbed = results.endpoints.flatMap((e) =>
    Object.entries(e.doors).flatMap(([door, m]) => {
      const share = measured(m as Measurement)?.cpu?.otherShare ?? 0;
      return share > 0.1 ? [`${e.name} on ${door} (${Math.round(share * 100)}%)`] : [];
    }),
  );
  if (disturbed.length)
    lines.push('', `**Disturbed**: other processes used more than 10% of the CPU during ${disturbed.join(', ')}.`);
  for (const group of [...new Set(results.targets.map((t) => t.group))]) {
    lines.push('', `**${group}**`, '', '| | value | target | |', '|---|--:|--:|---|');
    for (const t of results.targets.filter((x) => x.group === group)) {
      lines.push(`| ${t.name} | ${fixed(t.value)} | ${t.bound} | ${verdict(t)}${t.note ? ` (${t.note})` : ''} |`);
    }
  }
  const { startup, memory } = results;
  lines.push(
    '',
    `Restarts (ms): server ${startup.serverMs.join(', ')}; npm start ${startup.npmStartMs.join(', ')}; embedded ` +
      `${startup.embeddedMs?.join(', ') ?? 'not measured'}. Memory samples (MiB RSS, every 5 s): ` +
      `${memory.samples.map((x) => fixed(x.rssMiB, 0)).join(', ')}; mixed load ${fixed(memory.load.rps, 0)} req/s, ` +
      `${memory.load.unexpected} non-2xx.`,
  );
  return lines.join('\n');
}
