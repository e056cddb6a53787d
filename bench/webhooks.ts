/**
 * The webhook fan-out: N events (releases created through npm start's API) to 3 receivers on loopback, every
 * delivery checked to arrive, none twice per delivery id, with the latency from commit (the 201 of the write, sent
 * after its transaction committed) to arrival at the receiver. The reference, measured in the same run: a bare
 * loopback POST of the same body to the same receivers (node:http, a new connection each, as the deliverer makes),
 * whose round trip is the floor of any delivery.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import createConnectionPool from '@databases/pg';
import { createOrg, createRepo, createUser } from '../lib/domain/orgs';
import { sql } from '../lib/infra/db';
import { openDoor } from './doors';

interface Arrival {
  deliveryId: string;
  releaseId: string;
  at: number;
}

interface BenchReceiver {
  url: string;
  arrivals: Arrival[];
  close(): Promise<void>;
}

const now = () => performance.timeOrigin + performance.now();

async function receiver(): Promise<BenchReceiver> {
  const arrivals: Arrival[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const at = now();
      if (req.headers['x-gitweave-delivery']) {
        const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { resource: { id: string } };
        arrivals.push({ deliveryId: String(req.headers['x-gitweave-delivery']), releaseId: event.resource.id, at });
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    arrivals,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/** One bare POST of `body` to `url` on a new connection: the time to its answer. */
function barePost(url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = now();
    const req = http.request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(now() - started));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export interface WebhookBench {
  events: number;
  receivers: number;
  /** writes in flight at once while the events are made */
  writers: number;
  deliveries: { expected: number; arrived: number; distinct: number; duplicates: number; missing: number };
  commitToArrivalMs: { p50: number; p99: number; max: number };
  /** the whole fan-out: first commit to last arrival */
  spanMs: number;
  /** the writes alone: first request to last answer */
  writesMs: number;
  reference: { barePostMs: { p50: number; p99: number }; bareFanoutMs: number };
  /** p50 and p99 against the bare POST's; span against the bare fan-out's */
  ratio: { p50: number; p99: number; span: number };
}

/** Runs the fan-out on an already migrated database with npm start's server (door 'server'). */
export async function benchWebhooks(
  databaseUrl: string,
  artifactsDir: string,
  options: { events: number; writers: number; log: (line: string) => void },
): Promise<WebhookBench> {
  const pool = createConnectionPool({ connectionString: databaseUrl, bigIntMode: 'number', poolSize: 2 });
  const receivers = [await receiver(), await receiver(), await receiver()];
  const door = await openDoor('server', databaseUrl, { ARTIFACTS_DIR: artifactsDir, WEBHOOK_ALLOW_PRIVATE: 'true' });
  try {
    const slug = `hooks-${randomBytes(4).toString('hex')}`;
    await createOrg(pool, slug);
    const repo = await createRepo(pool, slug, 'fanout');
    const manager = await createUser(pool, 'bench', { orgSlug: slug, role: 'release_manager' });
    const headers = { authorization: `Bearer ${manager.token}`, 'content-type': 'application/json' };
    const api = `${door.origin}/api/v1`;
    for (const [i, target] of receivers.entries()) {
      const res = await fetch(`${api}/orgs/${slug}/webhooks`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ url: target.url, events: ['release.created'], secret: `bench-secret-${i}-0123456789` }),
      });
      if (res.status !== 201) throw new Error(`webhook registration answered ${res.status}: ${await res.text()}`);
    }

    options.log(`webhooks: ${options.events} releases, ${options.writers} writers, 3 receivers`);
    const committed = new Map<string, number>();
    let next = 0;
    const writer = async () => {
      for (let n = next++; n < options.events; n = next++) {
        const res = await fetch(`${api}/repos/${repo.id}/releases`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ version: `1.0.${n}` }),
        });
        const at = now();
        if (res.status !== 201) throw new Error(`release ${n} answered ${res.status}: ${await res.text()}`);
        committed.set(((await res.json()) as { id: string }).id, at);
      }
    };
    const writesStarted = now();
    await Promise.all(Array.from({ length: options.writers }, writer));
    const writesMs = now() - writesStarted;

    const expected = options.events * receivers.length;
    const deadline = Date.now() + 120_000;
    const arrived = () => receivers.reduce((sum, target) => sum + target.arrivals.length, 0);
    while (arrived() < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    // a moment more, so that a delivery sent twice would be seen
    await new Promise((resolve) => setTimeout(resolve, 1000));

    const all = receivers.flatMap((target) => target.arrivals);
    const distinct = new Set(all.map((arrival) => arrival.deliveryId)).size;
    const latencies = all
      .map((arrival) => arrival.at - (committed.get(arrival.releaseId) ?? Number.NaN))
      .filter((ms) => Number.isFinite(ms))
      .sort((a, b) => a - b);
    const [{ delivered }] = await pool.query(sql`
      SELECT count(*)::int AS delivered FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
      JOIN orgs o ON o.id = w.org_id WHERE o.slug = ${slug} AND d.status = 'delivered'`);
    options.log(`webhooks: ${all.length} arrivals, ${distinct} distinct, ${delivered} marked delivered`);

    // the references: one bare POST of a like body, one after the other; and the same fan-out done bare (3 loops of
    // N POSTs, one per receiver, side by side), the floor of the deliverer's span
    const body = JSON.stringify({
      id: randomBytes(16).toString('hex'),
      resource: { id: 'x'.repeat(36) },
      pad: 'x'.repeat(400),
    });
    const bare: number[] = [];
    for (let i = 0; i < Math.min(expected, 3000); i++) bare.push(await barePost(receivers[i % 3]!.url, body));
    bare.sort((a, b) => a - b);
    const fanoutStarted = now();
    await Promise.all(
      receivers.map(async (target) => {
        for (let i = 0; i < options.events; i++) await barePost(target.url, body);
      }),
    );
    const bareFanoutMs = now() - fanoutStarted;

    const firstCommit = Math.min(...committed.values());
    const lastArrival = Math.max(...all.map((arrival) => arrival.at));
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    const bareP50 = percentile(bare, 50);
    const bareP99 = percentile(bare, 99);
    return {
      events: options.events,
      receivers: receivers.length,
      writers: options.writers,
      deliveries: {
        expected,
        arrived: all.length,
        distinct,
        duplicates: all.length - distinct,
        missing: expected - distinct,
      },
      commitToArrivalMs: { p50: round(p50), p99: round(p99), max: round(latencies.at(-1) ?? Number.NaN) },
      spanMs: round(lastArrival - firstCommit),
      writesMs: round(writesMs),
      reference: { barePostMs: { p50: round(bareP50), p99: round(bareP99) }, bareFanoutMs: round(bareFanoutMs) },
      ratio: {
        p50: round(p50 / bareP50),
        p99: round(p99 / bareP99),
        span: round((lastArrival - firstCommit) / bareFanoutMs),
      },
    };
  } finally {
    await door.stop();
    await Promise.all(receivers.map((target) => target.close()));
    await pool.dispose();
  }
}

/** The fan-out as Markdown, for the closing note and the README. */
export function webhookMarkdown(result: WebhookBench): string {
  const d = result.deliveries;
  return [
    `### Webhook fan-out: ${result.events} events x ${result.receivers} receivers on loopback (${result.writers} writers)`,
    '',
    `- delivered: ${d.distinct} of ${d.expected} delivery ids; ${d.duplicates} arrived twice; ${d.missing} missing`,
    `- commit to arrival: p50 ${result.commitToArrivalMs.p50} ms, p99 ${result.commitToArrivalMs.p99} ms (max ${result.commitToArrivalMs.max} ms)`,
    `- reference, a bare loopback POST on a new connection: p50 ${result.reference.barePostMs.p50} ms, p99 ${result.reference.barePostMs.p99} ms`,
    `- ratio to the reference: p50 ${result.ratio.p50}x, p99 ${result.ratio.p99}x`,
    `- first commit to last arrival ${result.spanMs} ms (the writes alone: ${result.writesMs} ms); the same fan-out as bare POSTs: ${result.reference.bareFanoutMs} ms (${result.ratio.span}x)`,
  ].join('\n');
}
