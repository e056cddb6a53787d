/**
 * The soak: `npm start` on the bench database under mixed reads and writes at a steady rate for
 * `seconds`, reported per interval (a minute, or a fifth of a short soak): requests, statuses by class, errors,
 * p50/p99, the server process's resident memory (sampled from /proc every 5 s) and the CPU it and Postgres spent.
 * The rate is a share (default half) of the capacity measured first, with the same mix, as fast as it answers.
 * Targets: no 5xx; the last interval's RSS within 10% of the second's (judged on growth: a fall is no leak); the
 * last interval's p99 within 1.5x the first's. It reports them; it asserts nothing.
 */
import fs from 'node:fs';
import os from 'node:os';
import type { Endpoint } from './endpoints';
import { type CpuCost, countCpu, load, type Measurement, residentMiB } from './load';
import { processTree } from './procs';
import type { Target } from './report';
import { startNpm } from './startup';

/** Requests, their answers by status class, and requests that got none (reset, timeout). */
interface Counts {
  requests: number;
  status2xx: number;
  status4xx: number;
  status5xx: number;
  statusOther: number;
  errors: number;
}

export interface SoakInterval extends Counts {
  /** 1-based; seconds from the start of the soak */
  index: number;
  fromS: number;
  toS: number;
  p50: number | null;
  p99: number | null;
  /** RSS of the server process (MiB): mean and max of the samples taken in the interval */
  rssMiB: number | null;
  rssMaxMiB: number | null;
  samples: number;
  cpu: CpuCost;
}

export interface SoakResult {
  seconds: number;
  intervalS: number;
  connections: number;
  /** the mix, as the names of its requests in the order each connection sends them */
  mix: string[];
  capacity: { seconds: number; rps: number; p50: number; p99: number; unexpected: number; errors: number };
  /** the steady rate: `share` of the capacity */
  share: number;
  rate: number;
  /** the achieved rate over the whole soak */
  achievedRps: number;
  serverProcess: { pid: number; command: string };
  loadAverage: { start: number; end: number };
  totals: Counts;
  intervals: SoakInterval[];
  targets: Target[];
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

function percentile(values: number[], p: number): number | null {
  if (!values.length) return null;
  const sorted = Float64Array.from(values).sort();
  return round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!, 3);
}

/** The interval a soak of `seconds` is reported in: a minute, or a fifth of a soak shorter than five minutes. */
export function intervalOf(seconds: number): number {
  return seconds >= 300 ? 60 : Math.max(1, Math.round(seconds / 5));
}

/** The node process that runs scripts/start.mjs under `npm start` (npm → sh -c exec → node). */
function serverProcess(root: number): { pid: number; command: string } {
  for (const pid of processTree(root)) {
    try {
      const command = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      if (command.includes('scripts/start.mjs')) return { pid, command };
    } catch {
      // exited meanwhile
    }
  }
  throw new Error(`no process of the npm start tree (${root}) runs scripts/start.mjs`);
}

export function judgeSoak(result: Omit<SoakResult, 'targets'>): Target[] {
  const { intervals } = result;
  const first = intervals[0];
  const second = intervals[1];
  const last = intervals.at(-1);
  const ratio = (a: number | null | undefined, b: number | null | undefined) =>
    a == null || b == null || b === 0 ? null : round(a / b, 3);
  const rss = ratio(last?.rssMiB, second?.rssMiB);
  const p99 = ratio(last?.p99, first?.p99);
  return [
    {
      group: 'soak',
      name: '5xx responses, whole soak',
      value: result.totals.status5xx,
      bound: '= 0',
      pass: result.totals.status5xx === 0,
      note: `${result.totals.errors} requests without an answer, ${result.totals.status4xx} 4xx`,
    },
    {
      group: 'soak',
      name: 'RSS of the server process, last interval ÷ second',
      value: rss,
      // a leak is growth: memory handed back (the heap shrinking after a collection) is no miss
      bound: '≤ 1.1',
      pass: rss === null ? null : rss <= 1.1,
      note: `${second?.rssMiB ?? '–'} → ${last?.rssMiB ?? '–'} MiB (means of 5 s samples)`,
    },
    {
      group: 'soak',
      name: 'p99, last interval ÷ first',
      value: p99,
      bound: '≤ 1.5',
      pass: p99 === null ? null : p99 <= 1.5,
      note: `${first?.p99 ?? '–'} → ${last?.p99 ?? '–'} ms`,
    },
  ];
}

export async function soak(
  databaseUrl: string,
  artifactsDir: string,
  endpoints: Endpoint[],
  options: {
    seconds: number;
    /** the steady rate in requests/s; default: `share` of the capacity measured first */
    rate?: number;
    share: number;
    warmupS: number;
    capacityS: number;
    connections: number;
    postgresPids: () => number[];
    log: (line: string) => void;
  },
): Promise<Omit<SoakResult, 'targets'>> {
  const loadAtStart = os.loadavg()[0]!;
  const { origin, group } = await startNpm(databaseUrl, artifactsDir);
  try {
    const server = serverProcess(group.child.pid!);
    const targets = endpoints.map((endpoint) => endpoint.target);
    const { connections } = options;

    // a warm-up, then the capacity with this mix: as fast as the server answers
    await load(origin, targets, { connections, durationS: options.warmupS });
    const full: Measurement = await load(origin, targets, { connections, durationS: options.capacityS });
    const rate = options.rate ?? Math.max(1, Math.round(full.rps * options.share));
    options.log(
      `soak: capacity ${full.rps} req/s with the mix (p50 ${full.p50} ms, p99 ${full.p99} ms); ` +
        `${options.seconds} s at ${rate} req/s${options.rate ? ' (--rate)' : ` (${options.share} of it)`}`,
    );

    const intervalS = intervalOf(options.seconds);
    const count = Math.ceil(options.seconds / intervalS);
    const buckets = Array.from({ length: count }, (_, i) => ({
      latencies: [] as number[],
      statuses: { s2: 0, s4: 0, s5: 0, other: 0, errors: 0 },
      rss: [] as number[],
      cpu: undefined as CpuCost | undefined,
      fromS: i * intervalS,
      toS: Math.min(options.seconds, (i + 1) * intervalS),
    }));
    const started = performance.now();
    const bucketNow = () => Math.min(count - 1, Math.floor((performance.now() - started) / 1000 / intervalS));
    const sample = () => {
      const rss = residentMiB(server.pid);
      if (rss !== null) buckets[bucketNow()]!.rss.push(rss);
    };
    sample();
    const sampler = setInterval(sample, 5000);
    // the CPU of the server, of Postgres and of everything else, per interval
    let cpu = countCpu(server.pid, options.postgresPids);
    let current = 0;
    const closeInterval = () => {
      const bucket = buckets[current]!;
      const s = bucket.statuses;
      bucket.cpu = cpu.stop(s.s2 + s.s4 + s.s5 + s.other);
      const mean = bucket.rss.length ? round(bucket.rss.reduce((a, b) => a + b, 0) / bucket.rss.length, 1) : null;
      options.log(
        `soak: ${bucket.fromS}–${bucket.toS} s: ${s.s2 + s.s4 + s.s5 + s.other} answers (${s.s4} 4xx, ${s.s5} 5xx, ` +
          `${s.errors} errors), p50 ${percentile(bucket.latencies, 50)} ms, p99 ${percentile(bucket.latencies, 99)} ms, ` +
          `RSS ${mean} MiB; other processes ${bucket.cpu.otherShare}`,
      );
      cpu = countCpu(server.pid, options.postgresPids);
    };
    const ticker = setInterval(() => {
      const now = bucketNow();
      while (current < now) {
        closeInterval();
        current++;
      }
    }, 250);
    const steady = await load(origin, targets, {
      connections,
      durationS: options.seconds,
      overallRate: rate,
      observe: (status, latencyMs) => {
        const bucket = buckets[bucketNow()]!;
        const s = bucket.statuses;
        if (status === null) s.errors++;
        else {
          if (status >= 200 && status < 300) s.s2++;
          else if (status >= 400 && status < 500) s.s4++;
          else if (status >= 500) s.s5++;
          else s.other++;
          bucket.latencies.push(latencyMs);
        }
      },
    }).finally(() => {
      clearInterval(sampler);
      clearInterval(ticker);
    });
    sample();
    while (current < count) {
      closeInterval();
      current++;
    }

    const intervals: SoakInterval[] = buckets.map((bucket, i) => {
      const s = bucket.statuses;
      return {
        index: i + 1,
        fromS: bucket.fromS,
        toS: bucket.toS,
        requests: s.s2 + s.s4 + s.s5 + s.other + s.errors,
        status2xx: s.s2,
        status4xx: s.s4,
        status5xx: s.s5,
        statusOther: s.other,
        errors: s.errors,
        p50: percentile(bucket.latencies, 50),
        p99: percentile(bucket.latencies, 99),
        rssMiB: bucket.rss.length ? round(bucket.rss.reduce((a, b) => a + b, 0) / bucket.rss.length, 1) : null,
        rssMaxMiB: bucket.rss.length ? Math.max(...bucket.rss) : null,
        samples: bucket.rss.length,
        cpu: bucket.cpu!,
      };
    });
    const sum = (key: keyof SoakResult['totals']) => intervals.reduce((total, x) => total + x[key], 0);
    return {
      seconds: options.seconds,
      intervalS,
      connections,
      mix: targets.map((target) => target.name),
      capacity: {
        seconds: options.capacityS,
        rps: full.rps,
        p50: full.p50,
        p99: full.p99,
        unexpected: full.unexpected,
        errors: full.errors,
      },
      share: options.share,
      rate,
      achievedRps: round(steady.responses / options.seconds, 1),
      serverProcess: server,
      loadAverage: { start: round(loadAtStart), end: round(os.loadavg()[0]!) },
      totals: {
        requests: sum('requests'),
        status2xx: sum('status2xx'),
        status4xx: sum('status4xx'),
        status5xx: sum('status5xx'),
        statusOther: sum('statusOther'),
        errors: sum('errors'),
      },
      intervals,
    };
  } catch (err) {
    throw new Error(`npm start: ${String(err)}\n${group.output.join('\n')}`);
  } finally {
    await group.stop();
  }
}

const fixed = (value: number | null | undefined, digits = 2) =>
  value == null || !Number.isFinite(value) ? '–' : value.toFixed(digits);

/** The Markdown summary of a soak. */
export function soakMarkdown(result: SoakResult, header: string): string {
  const lines = [
    header,
    '',
    `${result.seconds} s at a steady ${result.rate} req/s (${result.share} of the ${fixed(result.capacity.rps, 0)} req/s ` +
      `the same mix reached in ${result.capacity.seconds} s as fast as it was answered; achieved ${fixed(result.achievedRps, 1)} req/s), ` +
      `${result.connections} connections, the mix ${result.mix.join(', ')} in turn on each; load average ` +
      `${result.loadAverage.start} → ${result.loadAverage.end}.`,
    '',
    `| ${result.intervalS === 60 ? 'minute' : `${result.intervalS} s`} | requests | 2xx | 4xx | 5xx | other | errors | p50 ms | p99 ms | RSS MiB (mean / max) | CPU µs/req server / Postgres | other processes |`,
    '|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const x of result.intervals) {
    lines.push(
      `| ${x.index} | ${x.requests} | ${x.status2xx} | ${x.status4xx} | ${x.status5xx} | ${x.statusOther} | ${x.errors} | ` +
        `${fixed(x.p50)} | ${fixed(x.p99)} | ${fixed(x.rssMiB, 1)} / ${fixed(x.rssMaxMiB, 1)} | ` +
        `${x.cpu.serverUs ?? '–'} / ${x.cpu.postgresUs ?? '–'} | ${x.cpu.otherShare === null ? '–' : `${Math.round(x.cpu.otherShare * 100)}%`} |`,
    );
  }
  lines.push('', '| target | value | bound | |', '|---|--:|--:|---|');
  for (const t of result.targets) {
    const verdict = t.pass === null ? 'n/a' : t.pass ? 'PASS' : 'MISS';
    lines.push(`| ${t.name} | ${fixed(t.value, 3)} | ${t.bound} | ${verdict}${t.note ? ` (${t.note})` : ''} |`);
  }
  return lines.join('\n');
}
