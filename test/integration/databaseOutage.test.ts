import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import createConnectionPool from '@databases/pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, startEmbedded } from '../../scripts/lib/database';
import { migrate } from '../../scripts/lib/migrate';
import { freePort } from '../../scripts/lib/net';
import { invoke } from '../helpers/events';

// A throwaway cluster of this test's own: it is stopped and started again, which CI's shared Postgres never is.
const dataDir = path.join('data', `test-outage-${randomBytes(4).toString('hex')}`);
let port: number;
let database: Database;
let token: string;
let repo: string;

type Handler = Parameters<typeof invoke>[0];
const handlers: Array<[string, Handler]> = [];

beforeAll(async () => {
  port = await freePort();
  database = await startEmbedded({ dataDir, port, database: 'outage', fast: true });
  await migrate(database.url);
  // before anything loads lib/config: every module of this file talks to this cluster, with a short timeout
  process.env.DATABASE_URL = database.url;
  process.env.DATABASE_TIMEOUT_MS = '1000';
  const seed = createConnectionPool({ connectionString: database.url, bigIntMode: 'number' });
  const { createOrg, createRepo, createUser } = await import('../../lib/domain/orgs');
  await createOrg(seed, 'outage');
  repo = (await createRepo(seed, 'outage', 'app')).id;
  token = (await createUser(seed, 'dev', { orgSlug: 'outage', role: 'developer' })).token;
  await seed.dispose();

  for (const file of fs
    .readdirSync('functions')
    .filter((f) => f.endsWith('.ts'))
    .sort()) {
    const module = (await import(`../../functions/${file}`)) as { handler: Handler };
    handlers.push([file.replace(/\.ts$/, ''), module.handler]);
  }
}, 120_000);

afterAll(async () => {
  const { closeDb } = await import('../../lib/infra/db');
  await closeDb();
  await database?.stop();
  delete process.env.DATABASE_TIMEOUT_MS;
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(`${dataDir}.owner`, { force: true });
});

/** An event every function accepts far enough to need the database: ids, a body, a token. */
function eventFor() {
  return {
    pathParameters: { repo, id: randomUUID(), org: 'outage' },
    body: { version: '1.0.0', name: 'x', path: 'x', environmentId: randomUUID(), status: 'success' },
    token,
  };
}

describe('with the database stopped', () => {
  it('answers health 200 while the database is up', async () => {
    const health = handlers.find(([name]) => name === 'health')![1];
    expect((await invoke(health, {})).status).toBe(200);
  });

  it('answers every endpoint 503 with Retry-After within a few seconds, then recovers without a restart', async () => {
    await database.stop();
    // the OpenAPI document and the dashboard's page and script are built from code, not read from the database,
    // so they keep answering
    const fromCode = new Set(['openapi', 'dashboard', 'dashboardScript']);
    for (const [name, handler] of handlers.filter(([n]) => !fromCode.has(n))) {
      const started = Date.now();
      const res = await invoke(handler, eventFor());
      expect({ name, status: res.status }).toEqual({ name, status: 503 });
      expect(res.headers['retry-after']).toMatch(/^\d+$/);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(res.body.detail).toBe('The database is unavailable; retry shortly.');
      expect(Date.now() - started).toBeLessThan(5000);
    }

    database = await startEmbedded({ dataDir, port, database: 'outage', fast: true });
    const health = handlers.find(([n]) => n === 'health')![1];
    let status = 0;
    for (let attempt = 0; attempt < 50 && status !== 200; attempt += 1) {
      status = (await invoke(health, {})).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(status).toBe(200);
    const list = handlers.find(([n]) => n === 'listReleases')![1];
    expect((await invoke(list, { pathParameters: { repo }, token })).status).toBe(200);
  }, 120_000);
});
