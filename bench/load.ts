/**
 * Load over HTTP with autocannon. Latencies are recorded here from each response's own timing (sub-millisecond),
 * because autocannon's histogram keeps whole milliseconds, too coarse to compare pages that take 3 to 5 ms.
 */
import fs from 'node:fs';
import autocannon from 'autocannon';

export interface Target {
  name: string;
  method: 'GET' | 'POST';
  /** the path (with query) of the next request; called once per request */
  path: () => string;
  /** the JSON body of the next request */
  body?: () => string;
  headers?: Record<string, string>;
  /** the statuses that are the right answer (default: any 2xx) */
  expect?: number[];
}

export interface Measurement {
  connections: number;
  durationS: number;
  /** responses per second, averaged over the run's one-second samples (autocannon's Req/Sec average) */
  rps: number;
  /** latency percentiles in ms of the responses with an expected status */
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  responses: number;
  /** connection errors and timeouts */
  errors: number;
  /** responses whose status is not an expected one */
  unexpected: number;
  statuses: Record<string, number>;
  /** CPU time per response (filled in by the caller that knows the processes) */
  cpu?: CpuCost;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/** What `observe` is told of each request: its status and latency in ms, or null for an error (reset, timeout). */
export type Observer = (status: number | null, latencyMs: number) => void;

/**
 * Runs `targets` (in turn on every connection) against `origin` for `durationS` seconds: as fast as the server
 * answers, or at `overallRate` requests/s over all connections (a steady rate, for the soak).
 */
export function load(
  origin: string,
  targets: Target[],
  options: { connections: number; durationS: number; overallRate?: number; observe?: Observer },
): Promise<Measurement> {
  const expected = (status: number, target: Target) =>
    target.expect ? target.expect.includes(status) : status >= 200 && status < 300;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let unexpected = 0;
  // a request's onResponse runs just before autocannon's 'response' event for it, in the same tick
  let answered: Target = targets[0]!;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: origin,
        connections: options.connections,
        duration: options.durationS,
        timeout: 30,
        ...(options.overallRate ? { overallRate: options.overallRate } : {}),
        requests: targets.map((target) => ({
          method: target.method,
          headers: { ...(target.body ? { 'content-type': 'application/json' } : {}), ...target.headers },
          setupRequest: (request) => ({
            ...request,
            path: target.path(),
            ...(target.body ? { body: target.body() } : {}),
          }),
          onResponse: () => {
            answered = target;
          },
        })),
      },
      (err, result) => {
        if (err) return reject(err);
        const sorted = Float64Array.from(latencies).sort();
        resolve({
          connections: options.connections,
          durationS: result.duration,
          rps: round(result.requests.average, 1),
          p50: round(percentile(sorted, 50), 3),
          p90: round(percentile(sorted, 90), 3),
          p99: round(percentile(sorted, 99), 3),
          mean: round(sorted.reduce((sum, value) => sum + value, 0) / (sorted.length || 1), 3),
          responses: result.requests.total,
          errors: result.errors,
          unexpected,
          statuses,
        });
      },
    );
    instance.on('response', (_client, status, _bytes, responseTime) => {
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (expected(status, answered)) latencies.push(responseTime);
      else unexpected++;
      options.observe?.(status, responseTime);
    });
    if (options.observe) instance.on('reqError', () => options.observe?.(null, 0));
  });
}

/** The resident memory of process `pid` in MiB (VmRSS), or null where /proc is not there. */
export function residentMiB(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? round(Number(match[1]) / 1024, 1) : null;
  } catch {
    return null;
  }
}

/** CPU time (user + system, ms) of each live process in `pids`, from /proc/<pid>/stat; empty where /proc is not there. */
function cpuByPid(pids: number[]): Map<number, number> {
  const ticks = new Map<number, number>();
  for (const pid of pids) {
    try {
      const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop()!.split(' ');
      ticks.set(pid, ((Number(fields[11]) + Number(fields[12])) * 1000) / 100); // USER_HZ is 100 on Linux
    } catch {
      // gone, or no /proc
    }
  }
  return ticks;
}

/** The postmaster recorded in `dataDir` and its children (backends, workers), or [] when there is none. */
export function postgresPids(dataDir: string): number[] {
  let postmaster: number;
  try {
    postmaster = Number(fs.readFileSync(`${dataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
  } catch {
    return [];
  }
  const pids = [postmaster];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = fs.readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ').pop()!.split(' ');
      if (Number(fields[1]) === postmaster) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** The machine's busy and total CPU time in ms since boot (all CPUs), from /proc/stat. */
function machineCpu(): { busy: number; total: number } | null {
  try {
    const [, ...ticks] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
    const values = ticks.slice(0, 8).map(Number); // user nice system idle iowait irq softirq steal
    const total = values.reduce((sum, value) => sum + value, 0);
    return { busy: ((total - values[3]! - values[4]!) * 1000) / 100, total: (total * 1000) / 100 };
  } catch {
    return null;
  }
}

/** CPU time spent per response, in µs: by the server, by Postgres (null when it is not ours to see), by this process. */
export interface CpuCost {
  serverUs: number | null;
  postgresUs: number | null;
  loadGeneratorUs: number;
  /**
   * The share of the machine's CPU that other processes used meanwhile (0 to 1; null without /proc): above a few
   * percent, something else competed with this measurement.
   */
  otherShare: number | null;
}

/**
 * Starts counting the CPU time of the server process, of Postgres (the processes `postgres()` lists, each counted
 * from when it is first seen) and of this process (autocannon); `stop(responses)` gives the cost per response.
 */
export function countCpu(
  serverPid: number | undefined,
  postgres: () => number[],
): { stop(responses: number): CpuCost } {
  const serverBefore = serverPid === undefined ? undefined : cpuByPid([serverPid]).get(serverPid);
  const pgBefore = cpuByPid(postgres());
  const selfBefore = process.cpuUsage();
  const machineBefore = machineCpu();
  return {
    stop(responses) {
      const per = (ms: number) => Math.round((ms * 1000) / Math.max(1, responses));
      const serverAfter = serverPid === undefined ? undefined : cpuByPid([serverPid]).get(serverPid);
      const pids = postgres();
      let pgMs = 0;
      for (const [pid, ms] of cpuByPid(pids)) pgMs += ms - (pgBefore.get(pid) ?? 0);
      const self = process.cpuUsage(selfBefore);
      const selfMs = (self.user + self.system) / 1000;
      const serverMs = serverBefore === undefined || serverAfter === undefined ? null : serverAfter - serverBefore;
      const machineAfter = machineCpu();
      let otherShare: number | null = null;
      if (machineBefore && machineAfter && serverMs !== null && pids.length) {
        const busy = machineAfter.busy - machineBefore.busy;
        const total = machineAfter.total - machineBefore.total;
        otherShare =
          total > 0 ? Math.round((Math.max(0, busy - serverMs - pgMs - selfMs) / total) * 1000) / 1000 : null;
      }
      return {
        serverUs: serverMs === null ? null : per(serverMs),
        postgresUs: pids.length ? per(pgMs) : null,
        loadGeneratorUs: per(selfMs),
        otherShare,
      };
    },
  };
}
