/**
 * npm run bench:waiters [-- --waiters=500 --duration=S --rounds=N]
 *
 * What long-polling readers cost everyone else. npm start's server (on a database of its own, made on DATABASE_URL's
 * server and dropped at the end) is loaded, in alternating phases, with and without `waiters` readers long-polling
 * (`wait=25`) the feed of a quiet repo Q of org A. In every phase, a writer creates releases in another repo W of
 * org A as fast as it can (one at a time), and a reader lists the releases of a repo of another org B. The figures
 * are ratios of the same run: W's writes a second with waiters over without (goal ≥ 0.8), and B's read median with
 * waiters over without (goal ≤ 2). Loopback only. It writes bench/results/<date>-waiters.json and asserts nothing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { issueToken } from '../lib/domain/identity';
import { createOrg, createRepo, createUser } from '../lib/domain/orgs';
import { closeDb, db } from '../lib/infra/db';
import { migrate } from '../scripts/lib/migrate';
import { freePort } from '../scripts/lib/net';
import { serve } from '../scripts/lib/serve';
import { ROOT } from './doors';

const say = (line: string) => process.stderr.write(`[bench:waiters] ${line}\n`);
const { values: args } = parseArgs({
  options: {
    waiters: { type: 'string', default: '500' },
    duration: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '2' },
  },
});
const waiters = Number(args.waiters);
const durationMs = Number(args.duration) * 1000;
const rounds = Number(args.rounds);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const round = (value: number) => Math.round(value * 100) / 100;

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function main() {
  const base = process.env.DATABASE_URL;
  if (!base) throw new Error('set DATABASE_URL to a Postgres server on loopback: a database of its own is made there');
  const name = `bench_waiters_${process.pid}`;
  const url = new URL(base);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  await withClient(base, (client) => client.query(`CREATE DATABASE ${name}`));
  const artifactsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gitweave-bench-waiters-'));
  try {
    await migrate(databaseUrl);
    process.env.DATABASE_URL = databaseUrl;
    const orgA = await createOrg(db(), `a-${process.pid}`);
    const quiet = await createRepo(db(), orgA.slug, 'quiet');
    const written = await createRepo(db(), orgA.slug, 'written');
    const orgB = await createOrg(db(), `b-${process.pid}`);
    const read = await createRepo(db(), orgB.slug, 'read');
    const writer = await createUser(db(), 'writer', { orgSlug: orgA.slug, role: 'release_manager' });
    const reader = await createUser(db(), 'reader', { orgSlug: orgB.slug, role: 'developer' });
    const waiter = await issueToken(db(), writer.id, 'waiter');
    await closeDb();
    const server = await serve({
      databaseUrl,
      port: await freePort(),
      env: { ARTIFACTS_DIR: artifactsDir, LOG_LEVEL: 'fatal', WEBHOOK_DELIVERER: 'false' },
      output: 'ignore',
    });
    try {
      const auth = (token: string) => ({ authorization: `Bearer ${token}` });
      let version = 0;
      const phase = async (withWaiters: boolean) => {
        let stop = false;
        const polls: Promise<void>[] = [];
        if (withWaiters) {
          const first = await fetch(`${server.url}/repos/${quiet.id}/events?after=now`, { headers: auth(waiter) });
          const { nextCursor } = (await first.json()) as { nextCursor: string };
          const poll = async () => {
            while (!stop) {
              const response = await fetch(
                `${server.url}/repos/${quiet.id}/events?after=${encodeURIComponent(nextCursor)}&wait=25`,
                { headers: auth(waiter) },
              );
              await response.arrayBuffer();
            }
          };
          for (let i = 0; i < waiters; i++) polls.push(poll());
          await new Promise((resolve) => setTimeout(resolve, 2_000));
        }
        const started = Date.now();
        let writes = 0;
        const reads: number[] = [];
        const write = async () => {
          while (Date.now() - started < durationMs) {
            const response = await fetch(`${server.url}/repos/${written.id}/releases`, {
              method: 'POST',
              headers: { ...auth(writer.token), 'content-type': 'application/json' },
              body: JSON.stringify({ version: `1.0.${version++}` }),
            });
            await response.arrayBuffer();
            if (response.status === 201) writes++;
          }
        };
        const readLoop = async () => {
          while (Date.now() - started < durationMs) {
            const asked = performance.now();
            const response = await fetch(`${server.url}/repos/${read.id}/releases`, { headers: auth(reader.token) });
            await response.arrayBuffer();
            reads.push(performance.now() - asked);
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        };
        await Promise.all([write(), readLoop()]);
        const elapsed = (Date.now() - started) / 1000;
        stop = true;
        // the waiters are let go by the server's deadline (25 s) or the next event of their repo: write one there
        if (withWaiters) {
          await fetch(`${server.url}/repos/${quiet.id}/releases`, {
            method: 'POST',
            headers: { ...auth(writer.token), 'content-type': 'application/json' },
            body: JSON.stringify({ version: `9.0.${version++}` }),
          }).then((response) => response.arrayBuffer());
          await Promise.all(polls);
        }
        return { writesPerS: writes / elapsed, readMedianMs: median(reads) };
      };
      const without: Array<{ writesPerS: number; readMedianMs: number }> = [];
      const withThem: Array<{ writesPerS: number; readMedianMs: number }> = [];
      await phase(false); // warm-up
      for (let r = 0; r < rounds; r++) {
        without.push(await phase(false));
        say(`round ${r + 1} without waiters: ${JSON.stringify(without.at(-1))}`);
        withThem.push(await phase(true));
        say(`round ${r + 1} with ${waiters} waiters: ${JSON.stringify(withThem.at(-1))}`);
      }
      const writesNone = median(without.map((p) => p.writesPerS));
      const writesWaiting = median(withThem.map((p) => p.writesPerS));
      const readsNone = median(without.map((p) => p.readMedianMs));
      const readsWaiting = median(withThem.map((p) => p.readMedianMs));
      const result = {
        waiters,
        durationS: durationMs / 1000,
        rounds,
        writesPerS: { without: round(writesNone), with: round(writesWaiting) },
        otherOrgReadMedianMs: { without: round(readsNone), with: round(readsWaiting) },
        neighbourWriteRatio: round(writesWaiting / writesNone),
        otherOrgReadRatio: round(readsWaiting / readsNone),
      };
      const out = path.join(ROOT, 'bench', 'results', `${new Date().toISOString().slice(0, 10)}-waiters.json`);
      fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } finally {
      await server.stop();
    }
  } finally {
    fs.rmSync(artifactsDir, { recursive: true, force: true });
    await withClient(base, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
