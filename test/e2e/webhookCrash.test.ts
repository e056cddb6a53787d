import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { recordEvent } from '../../lib/domain/events';
import { sql } from '../../lib/infra/db';
import { type Server, serve } from '../../scripts/lib/serve';
import { orgWithMembers } from '../helpers/factories';
import { type OwnDatabase, ownDatabase } from '../helpers/ownDatabase';
import { type Receiver, startReceiver } from '../helpers/receiver';

// A server of this test's own, on a database of its own (no other deliverer may take over its deliveries), killed
// with SIGKILL while a delivery is in flight, then started again. WEBHOOK_TIMEOUT_MS=1500: a claim's lease is
// 2 x 1.5 s + 1 s = 4 s, after which the restarted server may take the delivery over.
const workFolder = `.esbuild-webhook-crash-${process.pid}`;
let own: OwnDatabase;
let server: Server | undefined;
let receiver: Receiver;

async function start(): Promise<Server> {
  return serve({
    databaseUrl: own.url,
    env: {
      ARTIFACTS_DIR: inject('artifactsDir'),
      LOG_LEVEL: 'fatal',
      ESBUILD_WORK_FOLDER: workFolder,
      WEBHOOK_DELIVERER: 'true',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_TIMEOUT_MS: '1500',
      WEBHOOK_RETRY_BASE_MS: '100',
    },
    output: 'ignore',
  });
}

beforeAll(async () => {
  own = await ownDatabase(inject('databaseUrl'));
}, 120_000);
afterAll(async () => {
  await server?.stop();
  await receiver?.close();
  await own?.drop();
  fs.rmSync(workFolder, { recursive: true, force: true });
});

describe('a server SIGKILLed mid-delivery', () => {
  it('delivers after restart: the delivery it held is taken up again once its lease ends, and nothing is lost', async () => {
    const world = await orgWithMembers(own.pool);
    // the first request is held open, as a slow receiver would; every later one is answered at once
    let first = true;
    receiver = await startReceiver(() => {
      if (!first) return { status: 204 };
      first = false;
      return 'hang';
    });
    await own.pool.query(sql`
      INSERT INTO webhooks (org_id, url, secret, created_by)
      VALUES (${world.org.id}, ${receiver.url}, 'crash-secret-0123456789', ${world.releaseManager.id})`);
    const record = (name: string) =>
      own.pool.tx((tx) =>
        recordEvent(tx, {
          type: 'environment.created',
          orgId: world.org.id,
          repoId: null,
          actorId: world.releaseManager.id,
          resource: { name },
        }),
      );

    server = await start();
    await record('before-the-crash');
    await receiver.waitFor(1);
    server.child.kill('SIGKILL');
    await new Promise((resolve) => server!.child.once('exit', resolve));
    server = undefined;
    await record('while-down');
    const [held] = await own.pool.query(sql`
      SELECT d.id, d.status, d.claim IS NOT NULL AS claimed, (SELECT count(*)::int FROM webhook_attempts a WHERE a.delivery_id = d.id) AS attempts
      FROM webhook_deliveries d JOIN events e ON e.id = d.event_id WHERE e.resource ->> 'name' = 'before-the-crash'`);
    expect(held).toMatchObject({ status: 'pending', claimed: true, attempts: 0 });

    server = await start();
    await receiver.waitFor(3);
    const ids = receiver.received.map((r) => r.headers['x-gitweave-delivery']);
    expect(ids[0]).toBe(held.id);
    expect(ids.filter((id) => id === held.id)).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
    for (let i = 0; i < 100; i++) {
      const pending = await own.pool.query(sql`SELECT 1 FROM webhook_deliveries WHERE status <> 'delivered'`);
      if (pending.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const rows = await own.pool.query(sql`
      SELECT d.status, ARRAY(SELECT a.status_code FROM webhook_attempts a WHERE a.delivery_id = d.id) AS codes
      FROM webhook_deliveries d ORDER BY d.created_at`);
    expect(rows).toEqual([
      { status: 'delivered', codes: [204] },
      { status: 'delivered', codes: [204] },
    ]);
  }, 60_000);
});
