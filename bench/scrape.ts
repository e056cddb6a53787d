/**
 * npm run bench:scrape [-- --rounds=N]
 *
 * What a Prometheus scrape of GET /metrics costs when every route has answered: the registry holds every route
 * template of the contracts with each of its status classes (2xx, 4xx, 5xx) and a spread of latencies, plus the
 * `unmatched` series, as a server that has run for months would. The metrics server (server/metrics.ts) is started
 * in this process on a free loopback port and scraped over HTTP `--rounds` times (one at a time, after a warm-up);
 * its gauges read the delivery backlog and readiness from DATABASE_URL's database. As a reference in the same run,
 * a bare node:http server answers the same number of bytes (the scrape's text, prepared once) over the same kind of
 * connection: the ratio says what rendering and the gauges' reads add. Asserts nothing.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { metrics } from '../lib/infra/metrics';
import { routes } from '../server/routes';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '200' } } });
const rounds = Number(args.rounds);
if (!process.env.DATABASE_URL) {
  process.stderr.write('bench:scrape needs DATABASE_URL (its gauges read the delivery backlog and readiness)\n');
  process.exit(2);
}

const templates = routes();
for (const { path, method } of [...templates, { path: 'unmatched', method: 'GET' }]) {
  for (const status of ['2xx', '4xx', '5xx']) {
    const labels = { route: path, method, status };
    for (const seconds of [0.001, 0.003, 0.02, 0.2, 3]) {
      metrics.requests.inc(labels);
      metrics.requestSeconds.observe(labels, seconds);
    }
  }
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
}

/** Milliseconds of each of `rounds` GETs of `url`, one at a time, after ten not counted. */
async function timeGets(url: string): Promise<{ p50: number; p99: number; bytes: number }> {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < rounds + 10; i++) {
    const started = performance.now();
    const res = await fetch(url);
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${url}: ${res.status} ${text.slice(0, 200)}`);
    if (i >= 10) times.push(performance.now() - started);
    bytes = text.length;
  }
  times.sort((a, b) => a - b);
  const at = (p: number) => times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)]!;
  return { p50: Math.round(at(50) * 10) / 10, p99: Math.round(at(99) * 10) / 10, bytes };
}

async function main(): Promise<void> {
  const { serveMetrics } = await import('../server/metrics');
  const scrapeServer = await serveMetrics('127.0.0.1', 0);
  const scrapeUrl = `http://127.0.0.1:${(scrapeServer.address() as AddressInfo).port}/metrics`;
  const text = await (await fetch(scrapeUrl)).text();
  const reference = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(text));
  const referenceUrl = await listen(reference);
  const series = text.split('\n').filter((line) => line.startsWith('gitweave_http_request_duration_seconds_bucket'));
  // in turn, twice each, so that whatever else the machine does weighs on both
  const scrapes = [await timeGets(scrapeUrl), await timeGets(scrapeUrl)];
  const references = [await timeGets(referenceUrl), await timeGets(referenceUrl)];
  const p50 = Math.min(...scrapes.map((s) => s.p50));
  const referenceP50 = Math.min(...references.map((s) => s.p50));
  process.stdout.write(
    `${JSON.stringify(
      {
        routeTemplates: templates.length,
        labelSets: templates.length * 3 + 3,
        histogramBucketLines: series.length,
        bytes: text.length,
        scrape: scrapes,
        reference: references,
        scrapeP50Ms: p50,
        scrapeOverReferenceP50: Math.round((p50 / referenceP50) * 100) / 100,
        target: 'scrape under 50 ms',
      },
      null,
      2,
    )}\n`,
  );
  scrapeServer.close();
  reference.close();
  const { closeDb } = await import('../lib/infra/db');
  await closeDb();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
