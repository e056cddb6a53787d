import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The process's Prometheus metrics (prom-client), counted where things happen: requests by the server's door,
 * statement errors by the pool, identity cache lookups, webhook attempts. Figures read at scrape time (the pool, the
 * delivery backlog, waiting long polls) are gauges whose `collect` the server sets (server/metrics.ts). Label values
 * are never user input: route templates, methods of the API, status classes, SQL states, fixed outcomes.
 * Shared through globalThis, like the pool (lib/infra/db), so that every bundle in one process counts in one registry.
 */
function create() {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: 'gitweave_http_requests_total',
      help: 'HTTP requests answered, by route template, method and status class',
      labelNames: ['route', 'method', 'status'] as const,
      registers,
    }),
    requestSeconds: new Histogram({
      name: 'gitweave_http_request_duration_seconds',
      help: 'Time from the request to the end of its answer, by route template, method and status class',
      labelNames: ['route', 'method', 'status'] as const,
      // 11 bounds: a read is 1-5 ms, the p99 alert is at 0.5 s; fewer bounds keep a scrape of every route small
      buckets: [0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    }),
    statementErrors: new Counter({
      name: 'gitweave_db_statement_errors_total',
      help: 'Statements that failed, by SQL state (`none`: no answer from Postgres: the connection was lost during it)',
      labelNames: ['sqlstate'] as const,
      registers,
    }),
    identityLookups: new Counter({
      name: 'gitweave_identity_cache_lookups_total',
      help: 'Tokens resolved, by whether the cache held them (hit) or the database was asked (miss)',
      labelNames: ['result'] as const,
      registers,
    }),
    identityInvalidations: new Counter({
      name: 'gitweave_identity_cache_invalidations_total',
      help: 'Identity changes that made the cache forget entries (a NOTIFY, or the LISTEN connection lost or made)',
      registers,
    }),
    webhookAttempts: new Counter({
      name: 'gitweave_webhook_attempts_total',
      help: 'Webhook delivery attempts recorded, by what followed: succeeded, retried (due again later) or failed (given up)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    listenLosses: new Counter({
      name: 'gitweave_listen_losses_total',
      help: 'Times the LISTEN connection was lost (it is made again, with a growing pause)',
      registers,
    }),
    defaultsCollected: false,
  };
}

const SHARED = Symbol.for('gitweave.releases.metrics');
const holder = globalThis as typeof globalThis & { [SHARED]?: ReturnType<typeof create> };
holder[SHARED] ??= create();

/** The metrics of this process (see `create`). */
export const metrics = holder[SHARED];

/** Adds the process metrics (CPU, memory, event loop, handles) and `gitweave_build_info`; once per process. */
export function collectProcessMetrics(build: { version: string; commit: string }): void {
  if (metrics.defaultsCollected) return;
  metrics.defaultsCollected = true;
  collectDefaultMetrics({ register: metrics.registry });
  new Gauge({
    name: 'gitweave_build_info',
    help: 'Always 1: the version and commit this process runs',
    labelNames: ['version', 'commit'] as const,
    registers: [metrics.registry],
  }).set(build, 1);
}

/** `2xx` for 204: the status label of a request's metrics. */
export function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other';
}

/** A SQL state as Postgres writes it (five characters of 0-9A-Z), else `none`: only those become label values. */
export function sqlStateOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : 'none';
}
