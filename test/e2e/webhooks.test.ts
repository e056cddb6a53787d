import { verify } from '@octokit/webhooks-methods';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, onServerDoor } from '../helpers/api';
import { orgWithMembers, testPool } from '../helpers/factories';
import { type Receiver, startReceiver } from '../helpers/receiver';

// Webhooks over real HTTP: registered through the API, delivered by the server's deliverer (woken by NOTIFY) to a
// receiver on loopback (the test server runs with WEBHOOK_ALLOW_PRIVATE=true, see test/helpers/globalSetup.ts).
const pool = testPool();
let world: Awaited<ReturnType<typeof orgWithMembers>>;
let receiver: Receiver;
const SECRET = 'e2e-secret-of-the-receiver-0123456789';

beforeAll(async () => {
  world = await orgWithMembers(pool);
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
  await pool.dispose();
});

/** An environment made through the API: its environment.created event is recorded in the same transaction. */
async function environmentCreated(name: string) {
  const res = await api('POST', `/orgs/${world.org.slug}/environments`, {
    token: world.releaseManager.token,
    json: { name },
  });
  expect(res.status).toBe(201);
  return res.body;
}

describe('webhooks over HTTP', () => {
  it('refuses a URL that is not http(s) with a 422 saying so', async () => {
    const res = await api('POST', `/orgs/${world.org.slug}/webhooks`, {
      token: world.releaseManager.token,
      json: { url: 'gopher://127.0.0.1/x', secret: SECRET },
    });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([
      { path: '/body/url', message: 'has the scheme gopher; only http and https are allowed' },
    ]);
  });

  // serverless-offline runs deliverWebhooks on its schedule, once a minute, as Lambda does: the delivery tests run on
  // npm start's server, which delivers at once (the scheduled function is invoked directly in
  // test/integration/webhookDelivery.test.ts)
  if (onServerDoor)
    it('delivers a signed event at once, lists the attempt, and redelivers it with the same delivery id', async () => {
      const made = await api('POST', `/orgs/${world.org.slug}/webhooks`, {
        token: world.releaseManager.token,
        json: { url: receiver.url, events: ['environment.created'], secret: SECRET },
        headers: { 'idempotency-key': `hook-${world.org.id}` },
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
      let listed = await api('GET', deliveries, { token: world.releaseManager.token });
      for (let i = 0; i < 100 && listed.body.items[0]?.status !== 'delivered'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        listed = await api('GET', deliveries, { token: world.releaseManager.token });
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

      const again = await api('POST', `${deliveries}/${deliveryId}/redeliver`, {
        token: world.releaseManager.token,
        json: {},
      });
      expect([again.status, again.body.status]).toEqual([202, 'pending']);
      await receiver.waitFor(2);
      expect(receiver.received[1]!.headers['x-gitweave-delivery']).toBe(deliveryId);
      expect(receiver.received[1]!.body).toBe(first!.body);
    });
});
