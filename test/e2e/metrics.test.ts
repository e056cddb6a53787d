import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Problem, ReadinessChecks } from '../../schemas/common';
import { freePort } from '../../scripts/lib/net';
import { type Server, serve } from '../../scripts/lib/serve';
import { orgWithMembers } from '../helpers/factories';
import { type OwnDatabase, ownDatabase } from '../helpers/ownDatabase';
import { type Receiver, startReceiver } from '../helpers/receiver';
import { parseScrape, sampleSum } from '../helpers/scrape';
import { startTcpProxy, type TcpProxy } from '../helpers/tcpProxy';

// npm start's server with METRICS_PORT set, on a database of this file's own reached through a TCP proxy (so that the
// database can go away and come back), sending webhooks to a receiver on loopback, one webhook at a time.
const workFolder = `.esbuild-metrics-${process.pid}`;
let own: OwnDatabase;
let proxy: TcpProxy;
let server: Server;
let receiver: Receiver;
let metricsUrl: string;
let output = '';
let world: Awaited<ReturnType<typeof orgWithMembers>>;

beforeAll(async () => {
  own = await ownDatabase(inject('databaseUrl'));
  world = await orgWithMembers(own.pool);
  proxy = await startTcpProxy(own.url);
  receiver = await startReceiver();
  const metricsPort = await freePort();
  metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  server = await serve({
    databaseUrl: proxy.url,
    env: {
      ARTIFACTS_DIR: inject('artifactsDir'),
      LOG_LEVEL: 'info',
      ESBUILD_WORK_FOLDER: workFolder,
      METRICS_PORT: String(metricsPort),
      WEBHOOK_DELIVERER: 'true',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_TIMEOUT_MS: '1500',
      WEBHOOK_RETRY_BASE_MS: '100',
      WEBHOOK_CONCURRENCY: '1',
    },
    output: 'pipe',
  });
  server.child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  server.child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
}, 120_000);
afterAll(async () => {
  await server?.stop();
  await receiver?.close();
  await proxy?.close();
  await own?.drop();
  fs.rmSync(workFolder, { recursive: true, force: true });
});

async function scrape() {
  const response = await fetch(metricsUrl);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  return { text, samples: parseScrape(text) };
}

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${server.url}${path}`, { headers });
const asDeveloper = () => ({ authorization: `Bearer ${world.developer.token}` });
const settle = () => new Promise((resolve) => setTimeout(resolve, 150));

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('GET /metrics on METRICS_PORT', () => {
  it('counts the requests it answered by route template, method and status class, never by path or id', async () => {
    await settle();
    const before = (await scrape()).samples;
    for (let i = 0; i < 3; i++) expect((await get('/health')).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await get(`/repos/${world.repo.id}/releases`, asDeveloper())).status).toBe(200);
    expect((await get(`/repos/${world.repo.id}/releases`, { authorization: 'Bearer gwr_wrong' })).status).toBe(401);
    expect((await get(`/no/such/${world.repo.id}`)).status).toBe(404);
    // a second release of one version is refused by the unique constraint: a statement error, by its SQL state
    const release = (version: string) =>
      fetch(`${server.url}/repos/${world.repo.id}/releases`, {
        method: 'POST',
        headers: { ...asDeveloper(), 'content-type': 'application/json' },
        body: JSON.stringify({ version }),
      });
    expect((await release('1.0.0')).status).toBe(201);
    expect((await release('1.0.0')).status).toBe(409);
    await settle();
    const { text, samples: after } = await scrape();

    const delta = (name: string, labels: Record<string, string>) =>
      sampleSum(after, name, labels) - sampleSum(before, name, labels);
    const releases = { route: '/api/v1/repos/{repo}/releases', method: 'GET' };
    expect(delta('gitweave_http_requests_total', { route: '/api/v1/health', method: 'GET', status: '2xx' })).toBe(3);
    expect(delta('gitweave_http_requests_total', { ...releases, status: '2xx' })).toBe(2);
    expect(delta('gitweave_http_requests_total', { ...releases, status: '4xx' })).toBe(1);
    expect(delta('gitweave_http_requests_total', { route: 'unmatched', method: 'GET', status: '4xx' })).toBe(1);
    expect(delta('gitweave_http_request_duration_seconds_count', { ...releases, status: '2xx' })).toBe(2);
    expect(delta('gitweave_http_request_duration_seconds_bucket', { ...releases, status: '2xx', le: '+Inf' })).toBe(2);
    expect(delta('gitweave_http_requests_total', { ...releases, method: 'POST', status: '4xx' })).toBe(1);
    expect(delta('gitweave_identity_cache_lookups_total', {})).toBe(4);
    expect(delta('gitweave_db_statement_errors_total', { sqlstate: '23505' })).toBe(1);
    // label values are templates: no id, no path a client chose
    expect(text).not.toContain(world.repo.id);
    expect(text).not.toContain('/no/such');

    expect(sampleSum(after, 'gitweave_db_pool_connections', { state: 'max' })).toBe(10);
    expect(sampleSum(after, 'gitweave_db_pool_connections', { state: 'total' })).toBeGreaterThan(0);
    expect(sampleSum(after, 'gitweave_db_pool_waiting')).toBe(0);
    expect(sampleSum(after, 'gitweave_listen_connected')).toBe(1);
    expect(sampleSum(after, 'gitweave_feed_waiting_polls')).toBe(0);
    expect(after.find((s) => s.name === 'gitweave_build_info')?.labels).toEqual({
      version: (JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string }).version,
      commit: expect.stringMatching(/^([0-9a-f]{40}|unknown)$/),
    });
    expect(sampleSum(after, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('counts a waiting long poll of the feed while it waits', async () => {
    const polling = get(`/orgs/${world.org.slug}/events?after=now&wait=5`, asDeveloper());
    const waiting = await until('a waiting poll', async () => {
      const found = sampleSum((await scrape()).samples, 'gitweave_feed_waiting_polls');
      return found >= 1 ? found : undefined;
    });
    expect(waiting).toBe(1);
    await polling;
  });

  it('is not served on the API port, and the metrics port serves nothing else', async () => {
    const onApi = await fetch(`${new URL(server.url).origin}/metrics`);
    expect(onApi.status).toBe(404);
    expect(onApi.headers.get('content-type')).toBe('application/problem+json');
    expect((await fetch(metricsUrl.replace('/metrics', '/api/v1/health'))).status).toBe(404);
  });

  it('shows webhook deliveries in flight, due and their lag, then succeeded and retried', async () => {
    const token = world.releaseManager.token;
    const call = (method: string, path: string, body: unknown) =>
      fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const attempts = async (outcome: string) =>
      sampleSum((await scrape()).samples, 'gitweave_webhook_attempts_total', { outcome });
    const [succeededBefore, retriedBefore] = [await attempts('succeeded'), await attempts('retried')];
    receiver.behave(() => 'hang');
    const hook = await call('POST', `/orgs/${world.org.slug}/webhooks`, {
      url: receiver.url,
      events: ['environment.created'],
      secret: 'metrics-secret-of-the-receiver-0123456789',
    });
    expect(hook.status).toBe(201);
    expect((await call('POST', `/orgs/${world.org.slug}/environments`, { name: 'qa1' })).status).toBe(201);
    await receiver.waitFor(1);
    // the receiver holds the first; the second event's delivery waits its turn (one slot per webhook): due
    expect((await call('POST', `/orgs/${world.org.slug}/environments`, { name: 'qa2' })).status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const held = (await scrape()).samples;
    expect(sampleSum(held, 'gitweave_webhook_deliveries_in_flight')).toBeGreaterThanOrEqual(1);
    expect(sampleSum(held, 'gitweave_webhook_deliveries_due')).toBeGreaterThanOrEqual(1);
    expect(sampleSum(held, 'gitweave_webhook_oldest_due_age_seconds')).toBeGreaterThan(0);

    receiver.behave(() => ({ status: 204 }));
    await until('both deliveries succeeded', async () =>
      (await attempts('succeeded')) - succeededBefore >= 2 ? true : undefined,
    );
    expect((await attempts('retried')) - retriedBefore).toBeGreaterThanOrEqual(1);
    const drained = (await scrape()).samples;
    expect(sampleSum(drained, 'gitweave_webhook_deliveries_due')).toBe(0);
    expect(sampleSum(drained, 'gitweave_webhook_deliveries_in_flight')).toBe(0);
    expect(sampleSum(drained, 'gitweave_webhook_oldest_due_age_seconds')).toBe(0);
  }, 30_000);
});

describe('the documented dashboard and alert rules', () => {
  it('name only metrics a scrape has', async () => {
    const { samples } = await scrape();
    const exported = new Set(samples.map((sample) => sample.name));
    for (const file of ['docs/grafana-dashboard.json', 'docs/prometheus-alerts.yml']) {
      const named = new Set(fs.readFileSync(file, 'utf8').match(/\b(gitweave|process|nodejs)_[a-z0-9_]+/g));
      expect(named.size, file).toBeGreaterThan(5);
      expect(
        [...named].filter((name) => !exported.has(name)),
        file,
      ).toEqual([]);
    }
  });
});

describe('readiness', () => {
  it('names each check, answers 503 problem+json while the database is gone and 200 once it is back', async () => {
    const ready = await get('/health/ready');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: {
        database: { status: 'ok', detail: expect.any(String) },
        migrations: { status: 'ok', detail: expect.stringMatching(/applied/) },
        artifacts: { status: 'ok', detail: expect.any(String) },
        listen: { status: 'ok', detail: expect.any(String) },
      },
    });

    proxy.setMode('refuse');
    const down = await until('readiness to fail', async () => {
      const response = await get('/health/ready');
      return response.status === 503 ? response : undefined;
    });
    expect(down.headers.get('content-type')).toBe('application/problem+json');
    expect(down.headers.get('retry-after')).toBe('5');
    const problem = (await down.json()) as Problem;
    expect(problem).toMatchObject({
      type: 'about:blank',
      title: 'Service Unavailable',
      status: 503,
      detail: expect.stringMatching(/^Not ready: database, migrations/),
      instance: `urn:gitweave:request:${down.headers.get('x-request-id')}`,
      checks: {
        database: { status: 'failing', detail: 'did not answer: unavailable' },
        migrations: { status: 'failing', detail: 'unknown: the database did not answer' },
        artifacts: { status: 'ok', detail: expect.any(String) },
      },
    });
    expect(problem.errors).toContainEqual({ path: '/checks/database', message: 'did not answer: unavailable' });
    expect(JSON.stringify(problem)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|postgres:/);
    expect((await get('/health')).status).toBe(503);
    const outage = (await scrape()).samples;
    expect(sampleSum(outage, 'gitweave_ready', { check: 'database' })).toBe(0);
    expect(sampleSum(outage, 'gitweave_ready', { check: 'artifacts' })).toBe(1);

    proxy.setMode('pass');
    const back = await until(
      'readiness to return',
      async () => {
        const response = await get('/health/ready');
        return response.status === 200 ? response : undefined;
      },
      30_000,
    );
    expect(((await back.json()) as { checks: ReadinessChecks }).checks.listen.status).toBe('ok');
  }, 60_000);
});

describe('request ids', () => {
  it("uses the client's X-Request-Id in the answer, the problem's instance and the request's log lines", async () => {
    const given = `ci-run.42:step/7-${randomUUID().slice(0, 8)}`;
    const response = await get(`/repos/${randomUUID()}/releases`, { ...asDeveloper(), 'x-request-id': given });
    expect(response.status).toBe(404);
    expect(response.headers.get('x-request-id')).toBe(given);
    expect(((await response.json()) as Problem).instance).toBe(`urn:gitweave:request:${given}`);
    const ok = await get('/health', { 'x-request-id': `${given}-ok` });
    expect(ok.headers.get('x-request-id')).toBe(`${given}-ok`);
    await settle();
    const lines = output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line));
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'request', requestId: given, route: 'GET /api/v1/repos/{repo}/releases' }),
    );
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'request', requestId: `${given}-ok`, status: 200 }));
  });

  it('replaces a hostile X-Request-Id (10 KB, spaces and markup, a comma of two) and never logs it', async () => {
    for (const hostile of ['x'.repeat(10_000), 'evil id <script>alert(1)</script>', 'a,b']) {
      const response = await get('/no/such/route', { 'x-request-id': hostile });
      expect(response.status).toBe(404);
      const used = response.headers.get('x-request-id');
      expect(used).toMatch(/^[0-9a-f-]{36}$/);
      expect(((await response.json()) as Problem).instance).toBe(`urn:gitweave:request:${used}`);
      const routed = await get(`/repos/${world.repo.id}/releases`, { ...asDeveloper(), 'x-request-id': hostile });
      expect(routed.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
    await settle();
    expect(output).not.toContain('x'.repeat(300));
    expect(output).not.toContain('evil id');
    expect(output).not.toContain('"a,b"');
  });
});
