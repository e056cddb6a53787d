import fs from 'node:fs';
import { verify } from '@octokit/webhooks-methods';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Server, serve } from '../../scripts/lib/serve';
import { orgWithMembers } from '../helpers/factories';
import { conformanceChecker } from '../helpers/openapiConformance';
import { type OwnDatabase, ownDatabase } from '../helpers/ownDatabase';
import { type Receiver, startReceiver } from '../helpers/receiver';

// Webhooks over real HTTP: registered through the API, delivered by the deliverer of npm start's server (woken by
// NOTIFY) to a receiver on loopback. The run's shared server sends no webhooks (WEBHOOK_DELIVERER=false, see
// test/helpers/globalSetup.ts: its database is the integration tests'), so delivery runs on a server of this file's
// own, on a database of its own, with WEBHOOK_ALLOW_PRIVATE=true and a 2 s timeout.
const SECRET = 'e2e-secret-of-the-receiver-0123456789';
const workFolder = `.esbuild-webhooks-${process.pid}`;
let own: OwnDatabase;
let server: Server;
let receiver: Receiver;
let world: Awaited<ReturnType<typeof orgWithMembers>>;
let conforms: ReturnType<typeof conformanceChecker>;

beforeAll(async () => {
  own = await ownDatabase(inject('databaseUrl'));
  world = await orgWithMembers(own.pool);
  receiver = await startReceiver();
  server = await serve({
    databaseUrl: own.url,
    env: {
      ARTIFACTS_DIR: inject('artifactsDir'),
      LOG_LEVEL: 'fatal',
      ESBUILD_WORK_FOLDER: workFolder,
      WEBHOOK_DELIVERER: 'true',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_TIMEOUT_MS: '2000',
      WEBHOOK_RETRY_BASE_MS: '100',
    },
    output: 'ignore',
  });
  conforms = conformanceChecker(
    (await (await fetch(`${server.url}/openapi.json`)).json()) as Parameters<typeof conformanceChecker>[0],
  );
}, 120_000);
afterAll(async () => {
  await server?.stop();
  await receiver?.close();
  await own?.drop();
  fs.rmSync(workFolder, { recursive: true, force: true });
});

/** A request to this file's server as `token`, its answer checked against the OpenAPI document. */
async function call(method: string, path: string, token: string, json?: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(json === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  });
  const text = await response.text();
  const body = text ? JSON.parse(text) : undefined;
  const mismatch = conforms(method, `/api/v1${path}`, response.status, response.headers.get('content-type'), body);
  if (mismatch) throw new Error(`response does not conform to the OpenAPI document: ${mismatch}`);
  return { status: response.status, body };
}

/** An environment made through the API: its environment.created event is recorded in the same transaction. */
async function environmentCreated(name: string) {
  const res = await call('POST', `/orgs/${world.org.slug}/environments`, world.releaseManager.token, { name });
  expect(res.status).toBe(201);
  return res.body;
}

describe('webhooks over HTTP', () => {
  it('refuses a URL that is not http(s) with a 422 saying so', async () => {
    const res = await call('POST', `/orgs/${world.org.slug}/webhooks`, world.releaseManager.token, {
      url: 'gopher://127.0.0.1/x',
      secret: SECRET,
    });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([
      { path: '/body/url', message: 'has the scheme gopher; only http and https are allowed' },
    ]);
  });

  it('delivers a signed event at once, lists the attempt, and redelivers it with the same delivery id', async () => {
    const made = await call('POST', `/orgs/${world.org.slug}/webhooks`, world.releaseManager.token, {
      url: receiver.url,
      events: ['environment.created'],
      secret: SECRET,
    });
    expect(made.status).toBe(201);
    const environment = await environmentCreated('qa');
    await receiver.waitFor(1);
    const [first] = receiver.received;
    expect(await verify(SECRET, first!.body, first!.headers['x-gitweave-signature-256'] as string)).toBe(true);
    const event = JSON.parse(first!.body);
    expect(event).toMatchObject({
      type: 'environment.created',
      actor: { id: world.releaseManager.id },
      org: { id: world.org.id, slug: world.org.slug },
      repo: null,
      resource: environment,
    });
    const eventId = event.id;
    const deliveryId = first!.headers['x-gitweave-delivery'] as string;

    const deliveries = `/orgs/${world.org.slug}/webhooks/${made.body.id}/deliveries`;
    let listed = await call('GET', deliveries, world.releaseManager.token);
    for (let i = 0; i < 100 && listed.body.items[0]?.status !== 'delivered'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      listed = await call('GET', deliveries, world.releaseManager.token);
    }
    expect(listed.body.items).toEqual([
      expect.objectContaining({
        id: deliveryId,
        eventId,
        event: 'environment.created',
        status: 'delivered',
        nextAttemptAt: null,
        attempts: [expect.objectContaining({ statusCode: 204, error: null, redelivery: false })],
      }),
    ]);

    const again = await call('POST', `${deliveries}/${deliveryId}/redeliver`, world.releaseManager.token, {});
    expect([again.status, again.body.status]).toEqual([202, 'pending']);
    await receiver.waitFor(2);
    expect(receiver.received[1]!.headers['x-gitweave-delivery']).toBe(deliveryId);
    expect(receiver.received[1]!.body).toBe(first!.body);
  });
});
