/** The bench's results: their shape in bench/results/<date>.json, the targets, and the Markdown summary. */
import type { Measurement } from './load';
import type { Sizes } from './seed';

export type Kind = 'baseline' | 'read' | 'write' | 'diagnostic';

export interface EndpointResult {
  name: string;
  kind: Kind;
  /** method and path, with the ids named */
  request: string;
  /** ok, or why it was not measured */
  state: 'ok' | 'route not found' | 'probe failed';
  probe?: { status: number; body: string };
  measurement?: Measurement;
  /** requests/s as a fraction of the health baseline's in this run */
  ratio?: number;
  /**
   * The same fraction estimated from CPU time per request (server + Postgres) instead of requests/s: the machine
   * is CPU-bound, so this is what the ratio would be without other work competing, and it is much steadier.
   */
  cpuRatio?: number;
}

export interface ScalingRow {
  what: string;
  /** p50 in ms at 10 connections and at 1 connection, of the smaller and the larger case */
  small: { label: string; p50: number | null; p50Single: number | null };
  large: { label: string; p50: number | null; p50Single: number | null };
}

export interface Target {
  name: string;
  /** the measured figure and the bound it is held to */
  value: number | null;
  bound: string;
  pass: boolean | null;
  note?: string;
}

export interface Results {
  date: string;
  mode: Sizes['label'];
  sizes: Sizes;
  machine: {
    cpus: number;
    cpuModel: string;
    memoryGiB: number;
    node: string;
    platform: string;
    /** the 1-minute load average when the run started and ended: above the CPU count, other work competed */
    loadAverage: { start: number; end: number };
  };
  settings: { connections: number; durationS: number; warmupS: number; memoryS: number };
  database: 'embedded' | 'BENCH_DATABASE_URL';
  seed: { ms: number; reused: boolean };
  endpoints: EndpointResult[];
  scaling: ScalingRow[];
  memory: {
    afterWarmupMiB: number | null;
    afterLoadMiB: number | null;
    ratio: number | null;
    samples: Array<{ s: number; MiB: number | null }>;
    atEndMiB: number | null;
    load?: Measurement;
  };
  startup: { firstServeMs: number; postgresMs: number | null; migrateMs: number; serveMs: number; totalMs: number };
  targets: Target[];
}

const fixed = (value: number | null | undefined, digits = 2) =>
  value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);

function ratioOf(a: number | null, b: number | null): number | null {
  return a === null || b === null || b === 0 ? null : a / b;
}

/** Each target of issue 4, judged on this run's figures (reported, never asserted). */
export function judge(results: Omit<Results, 'targets'>): Target[] {
  const targets: Target[] = [];
  for (const endpoint of results.endpoints.filter((e) => e.kind === 'read' || e.kind === 'write')) {
    const min = endpoint.kind === 'read' ? 0.8 : 0.5;
    targets.push({
      name: `${endpoint.name} req/s vs baseline`,
      value: endpoint.ratio ?? null,
      bound: `≥ ${min}`,
      pass: endpoint.ratio === undefined ? null : endpoint.ratio >= min,
      ...(endpoint.state !== 'ok'
        ? { note: endpoint.state }
        : endpoint.cpuRatio !== undefined
          ? { note: `${endpoint.cpuRatio.toFixed(2)} by CPU time per request` }
          : {}),
    });
  }
  const deep = results.scaling.find((row) => row.what.startsWith('listReleases deep page'));
  const first = results.scaling.find((row) => row.what.startsWith('listReleases first page'));
  const big = results.sizes.bigReleases.toLocaleString('en');
  const small = results.sizes.smallReleases.toLocaleString('en');
  const deepVsFirst = ratioOf(deep?.large.p50Single ?? null, first?.large.p50Single ?? null);
  targets.push({
    name: `deep page vs first page at ${big} releases (p50, 1 connection)`,
    value: deepVsFirst,
    bound: '≤ 1.2',
    pass: deepVsFirst === null ? null : deepVsFirst <= 1.2,
  });
  const deepVsSmall = ratioOf(deep?.large.p50Single ?? null, deep?.small.p50Single ?? null);
  targets.push({
    name: `deep page at ${big} vs the same page at ${small} releases (p50, 1 connection)`,
    value: deepVsSmall,
    bound: '≤ 1.2',
    pass: deepVsSmall === null ? null : deepVsSmall <= 1.2,
  });
  targets.push({
    name: 'server RSS after mixed load vs after warm-up',
    value: results.memory.ratio,
    bound: '≤ 1.1',
    pass: results.memory.ratio === null ? null : results.memory.ratio <= 1.1,
  });
  targets.push({
    name: 'restart on an existing data directory until /health answers (s)',
    value: results.startup.totalMs / 1000,
    bound: '≤ 5',
    pass: results.startup.totalMs <= 5000,
  });
  return targets;
}

/** The Markdown summary printed at the end of a run (and pasted into the README). */
export function markdown(results: Results): string {
  const lines: string[] = [];
  const { sizes } = results;
  const baseline = results.endpoints.find((endpoint) => endpoint.kind === 'baseline')?.measurement;
  lines.push(
    `### Benchmark ${results.date} (${results.mode}: ${sizes.bigReleases.toLocaleString('en')} releases and ` +
      `${sizes.bigDeployments.toLocaleString('en')} deployments in the big repo)`,
    '',
    `${results.machine.cpus} × ${results.machine.cpuModel}, ${results.machine.memoryGiB} GiB, Node ${results.machine.node}; ` +
      `autocannon ${results.settings.connections} connections, ${results.settings.durationS} s per endpoint after ` +
      `${results.settings.warmupS} s of warm-up; load generator, server and Postgres on the same machine.`,
    '',
    '| endpoint | req/s | × baseline | p50 ms | p99 ms | errors | non-2xx | CPU µs/req: server / Postgres | × baseline by CPU | target |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|---|',
  );
  for (const endpoint of results.endpoints) {
    const m = endpoint.measurement;
    const target = results.targets.find((t) => t.name.startsWith(`${endpoint.name} req/s`));
    const verdict = target ? (target.pass === null ? 'n/a' : `${target.pass ? 'PASS' : 'MISS'} (${target.bound})`) : '';
    if (!m) {
      lines.push(
        `| ${endpoint.name} | ${endpoint.state}${endpoint.probe ? ` (${endpoint.probe.status})` : ''} | | | | | | | | ${verdict} |`,
      );
      continue;
    }
    lines.push(
      `| ${endpoint.name} | ${fixed(m.rps, 0)} | ${fixed(endpoint.ratio)} | ${fixed(m.p50)} | ${fixed(m.p99)} | ${m.errors} | ` +
        `${m.unexpected}${endpoint.kind === 'diagnostic' ? ' (unexpected)' : ''} | ` +
        `${fixed(m.cpu?.serverUs, 0)} / ${fixed(m.cpu?.postgresUs, 0)} | ${fixed(endpoint.cpuRatio)} | ${verdict} |`,
    );
  }
  const disturbed = results.endpoints.filter((e) => (e.measurement?.cpu?.otherShare ?? 0) > 0.1);
  const rebuilt = results.endpoints.filter((e) => e.measurement?.rebuilt);
  if (rebuilt.length || results.memory.load?.rebuilt) {
    lines.push(
      '',
      `**Rebuilt**: serverless-esbuild rebuilt the bundles (a .js/.ts file of the project changed) during ` +
        `${[...rebuilt.map((e) => e.name), ...(results.memory.load?.rebuilt ? ['the mixed load'] : [])].join(', ')}.`,
    );
  }
  lines.push(
    '',
    `Load average ${results.machine.loadAverage.start} at the start, ${results.machine.loadAverage.end} at the end. ` +
      (disturbed.length
        ? `**Disturbed**: other processes used more than 10% of the machine's CPU during ${disturbed
            .map((e) => `${e.name} (${Math.round(e.measurement!.cpu!.otherShare! * 100)}%)`)
            .join(', ')}; rerun on a quiet machine before trusting those rows.`
        : 'No measured run shared the machine with more than 10% of other CPU work.'),
  );
  lines.push(
    '',
    '**Scaling** (p50 ms at 10 connections / at 1 connection)',
    '',
    '| | smaller | larger | larger ÷ smaller (10 / 1 conn.) |',
    '|---|--:|--:|--:|',
  );
  for (const row of results.scaling) {
    lines.push(
      `| ${row.what} | ${row.small.label}: ${fixed(row.small.p50)} / ${fixed(row.small.p50Single)} | ` +
        `${row.large.label}: ${fixed(row.large.p50)} / ${fixed(row.large.p50Single)} | ` +
        `${fixed(ratioOf(row.large.p50, row.small.p50))} / ${fixed(ratioOf(row.large.p50Single, row.small.p50Single))} |`,
    );
  }
  const memory = results.memory;
  const sampled = memory.samples.flatMap((sample) => (sample.MiB === null ? [] : [sample.MiB]));
  lines.push(
    '',
    `**Memory** (server RSS): ${fixed(memory.afterWarmupMiB, 0)} MiB after warm-up, ${fixed(memory.afterLoadMiB, 0)} MiB after ` +
      `${results.settings.memoryS} s of mixed load (${fixed(memory.ratio)}×; ${fixed(memory.load?.rps, 0)} req/s mixed; ` +
      `${fixed(Math.min(...sampled), 0)}–${fixed(Math.max(...sampled), 0)} MiB sampled every 5 s), ` +
      `${fixed(memory.atEndMiB, 0)} MiB at the end of the run.`,
    '',
    `**Startup**: ${fixed(results.startup.totalMs / 1000)} s from a stopped server on the seeded data directory to /health ` +
      `(${results.startup.postgresMs === null ? 'external Postgres' : `Postgres ${fixed(results.startup.postgresMs / 1000)} s`}, ` +
      `migrations ${fixed(results.startup.migrateMs / 1000)} s, serve() ${fixed(results.startup.serveMs / 1000)} s); ` +
      `first serve() of the run (building the bundles) ${fixed(results.startup.firstServeMs / 1000)} s.`,
    '',
    `Baseline: GET /health ${fixed(baseline?.rps, 0)} req/s, p50 ${fixed(baseline?.p50)} ms.`,
    '',
    '**Targets**',
    '',
  );
  for (const target of results.targets) {
    const verdict = target.pass === null ? 'n/a' : target.pass ? 'PASS' : 'MISS';
    lines.push(
      `- ${verdict}: ${target.name}: ${fixed(target.value)} (${target.bound})${target.note ? `, ${target.note}` : ''}`,
    );
  }
  return lines.join('\n');
}
