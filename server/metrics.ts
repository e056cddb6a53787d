/**
 * GET /metrics for Prometheus, on a port of its own (METRICS_PORT): the counters lib/ keeps (lib/infra/metrics) and
 * the gauges read when scraped (the pool, the webhook backlog, waiting long polls, the identity cache, the LISTEN
 * connection). Apart from the API so that a scrape needs no token, the figures never pass the API's door (a
 * firewall or a Kubernetes NetworkPolicy keeps the port to the scraper), and a scrape is not counted as traffic.
 */
import http from 'node:http';
import { Gauge } from 'prom-client';
import { deliveryBacklog } from '../lib/domain/deliveries';
import { cachedIdentities } from '../lib/domain/identity';
import { db, poolStats } from '../lib/infra/db';
import { listenState } from '../lib/infra/listen';
import { log } from '../lib/infra/log';
import { collectProcessMetrics, metrics } from '../lib/infra/metrics';
import { waitingReaders } from '../lib/infra/notices';
import { readiness } from '../lib/infra/readiness';
import packageJson from '../package.json' with { type: 'json' };

declare const __GITWEAVE_COMMIT__: string | undefined;

/** The commit the server was built from (scripts/lib/buildServer.mjs writes it in), else GITWEAVE_COMMIT or unknown. */
function commit(): string {
  const built = typeof __GITWEAVE_COMMIT__ === 'string' ? __GITWEAVE_COMMIT__ : '';
  return built || process.env.GITWEAVE_COMMIT || 'unknown';
}

let gaugesAdded = false;

/** The gauges a scrape reads at that moment; once per process. */
function addGauges(): void {
  if (gaugesAdded) return;
  gaugesAdded = true;
  collectProcessMetrics({ version: packageJson.version, commit: commit() });
  const registers = [metrics.registry];
  new Gauge({
    name: 'gitweave_db_pool_connections',
    help: 'Connections of the database pool, by state: total (open), idle, and max (DATABASE_POOL_SIZE)',
    labelNames: ['state'] as const,
    registers,
    collect() {
      const stats = poolStats();
      this.set({ state: 'max' }, stats?.size ?? 0);
      this.set({ state: 'total' }, stats?.total ?? 0);
      this.set({ state: 'idle' }, stats?.idle ?? 0);
    },
  });
  new Gauge({
    name: 'gitweave_db_pool_waiting',
    help: 'Requests waiting for a connection of the pool',
    registers,
    collect() {
      this.set(poolStats()?.waiting ?? 0);
    },
  });
  new Gauge({
    name: 'gitweave_feed_waiting_polls',
    help: 'Long polls of the event feed waiting for an event (each holds a request open, no connection)',
    registers,
    collect() {
      this.set(waitingReaders());
    },
  });
  new Gauge({
    name: 'gitweave_identity_cache_entries',
    help: 'Tokens this process holds resolved',
    registers,
    collect() {
      this.set(cachedIdentities());
    },
  });
  new Gauge({
    name: 'gitweave_listen_connected',
    help: 'Whether the LISTEN connection (identity changes, feed events, new deliveries) is up: 1, or 0',
    registers,
    collect() {
      this.set(listenState() === 'up' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'gitweave_ready',
    help: 'Readiness (GET /api/v1/health/ready) by check: 1 ok or not applicable, 0 failing',
    labelNames: ['check'] as const,
    registers,
    async collect() {
      const { checks } = await readiness(db());
      for (const [check, result] of Object.entries(checks)) this.set({ check }, result.status === 'failing' ? 0 : 1);
    },
  });
  // the backlog is the database's, the same whichever server is scraped: one statement per scrape
  const backlog = { due: 0, inFlight: 0, oldestDueS: 0, read: Promise.resolve() };
  const readBacklog = () => {
    backlog.read = deliveryBacklog(db())
      .then((found) => {
        Object.assign(backlog, found);
      })
      .catch((err: unknown) => {
        backlog.due = Number.NaN;
        backlog.inFlight = Number.NaN;
        backlog.oldestDueS = Number.NaN;
        log().debug({ err }, 'the webhook backlog could not be read for a scrape');
      });
    return backlog.read;
  };
  new Gauge({
    name: 'gitweave_webhook_deliveries_due',
    help: 'Webhook deliveries due now and not yet sent (NaN: the database did not answer the scrape)',
    registers,
    async collect() {
      await readBacklog();
      this.set(backlog.due);
    },
  });
  new Gauge({
    name: 'gitweave_webhook_deliveries_in_flight',
    help: 'Webhook deliveries claimed by a deliverer and being sent',
    registers,
    async collect() {
      await backlog.read;
      this.set(backlog.inFlight);
    },
  });
  new Gauge({
    name: 'gitweave_webhook_oldest_due_age_seconds',
    help: 'How long the oldest due webhook delivery has waited (0: none is due): the deliveries\u2019 lag',
    registers,
    async collect() {
      await backlog.read;
      this.set(backlog.oldestDueS);
    },
  });
}

/** The text of a scrape. */
async function scrape(): Promise<string> {
  addGauges();
  return metrics.registry.metrics();
}

/** Serves GET /metrics on `port` of `host`; anything else there is a 404. */
export async function serveMetrics(host: string, port: number): Promise<http.Server> {
  addGauges();
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found: GET /metrics\n');
      return;
    }
    scrape().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (err: unknown) => {
        log().error({ err }, 'a metrics scrape failed');
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('The scrape failed; see the log.\n');
      },
    );
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
