import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { handler as createWebhook } from '../../functions/createWebhook';
import { handler as deleteWebhook } from '../../functions/deleteWebhook';
import { handler as listWebhookDeliveries } from '../../functions/listWebhookDeliveries';
import { handler as listWebhooks } from '../../functions/listWebhooks';
import { handler as redeliverWebhook } from '../../functions/redeliverWebhook';
import { recordEvent } from '../../lib/domain/events';
import { sql } from '../../lib/infra/db';
import { invoke } from '../helpers/events';
import { type Receiver, startReceiver } from '../helpers/receiver';
import { useWorld } from '../helpers/world';

// The webhook endpoints as Lambda calls them. Their target is a receiver of this file's own on loopback, which
// WEBHOOK_ALLOW_PRIVATE=true lets them register (webhookUrls.test.ts has the refusals under the default policy).
// Nothing here delivers: no deliverer runs on this database (test/helpers/setupEnv.ts), and the file deletes what it
// made, so no delivery is left pending for a later run.
// (hoisted: the handlers read the configuration when they are imported)
vi.hoisted(() => {
  process.env.WEBHOOK_ALLOW_PRIVATE = 'true';
});
const { pool, world } = useWorld();
const SECRET = 'a-secret-of-the-receiver-0123456789';
let receiver: Receiver;
let HOOK_URL = '';
beforeAll(async () => {
  receiver = await startReceiver();
  HOOK_URL = `${receiver.url}/hooks/gitweave`;
});
afterAll(async () => {
  await pool.query(sql`DELETE FROM webhooks WHERE org_id IN (${world.org.id}, ${world.otherOrg.id})`);
  await receiver.close();
  expect(receiver.received).toEqual([]);
});
const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const iso = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
const path = (org: string) => `/api/v1/orgs/${org}/webhooks`;

function create(body: unknown, token = world.releaseManager.token, org = world.org.slug) {
  return invoke(createWebhook, { path: path(org), pathParameters: { org }, body, token });
}

function list(token = world.releaseManager.token, org = world.org.slug, query: Record<string, string> = {}) {
  return invoke(listWebhooks, { path: path(org), pathParameters: { org }, query, token });
}

function deliveries(id: string, token = world.releaseManager.token, org = world.org.slug) {
  return invoke(listWebhookDeliveries, {
    path: `${path(org)}/${id}/deliveries`,
    pathParameters: { org, id },
    token,
  });
}

describe('POST /orgs/{org}/webhooks', () => {
  it('subscribes a URL for a release manager and never returns the secret', async () => {
    const res = await create({ url: HOOK_URL, events: ['release.created', 'deployment.created'], secret: SECRET });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      orgId: world.org.id,
      url: HOOK_URL,
      events: ['release.created', 'deployment.created'],
      createdAt: iso,
    });
    expect(res.headers.location).toBe(`${path(world.org.slug)}/${res.body.id}`);
    expect(JSON.stringify(res)).not.toContain(SECRET);
    expect(JSON.stringify(await list())).not.toContain(SECRET);
  });

  it.each([[undefined], [[]], [['*']], [['*', 'release.created']]])(
    'takes events %j to mean every event type, shown as ["*"]',
    async (events) => {
      const res = await create({ url: HOOK_URL, secret: SECRET, ...(events ? { events } : {}) });
      expect([res.status, res.body.events]).toEqual([201, ['*']]);
    },
  );

  it('refuses a secret shorter than 16 characters, and a missing one, with a 400', async () => {
    expect((await create({ url: HOOK_URL, secret: 'short' })).status).toBe(400);
    expect((await create({ url: HOOK_URL })).status).toBe(400);
  });

  it('refuses a developer (403) and an outsider (404)', async () => {
    const developer = await create({ url: HOOK_URL, secret: SECRET }, world.developer.token);
    expect([developer.status, developer.body.detail]).toEqual([
      403,
      'Webhooks are managed by release managers; you are a developer in this org.',
    ]);
    expect((await create({ url: HOOK_URL, secret: SECRET }, world.outsider.token)).status).toBe(404);
    expect((await list(world.developer.token)).status).toBe(403);
  });
});

describe('GET and DELETE /orgs/{org}/webhooks', () => {
  it('pages newest first, and a deleted webhook is gone with its deliveries', async () => {
    const org = world.otherOrg.slug;
    const made = [];
    for (let i = 0; i < 3; i++) {
      made.push((await create({ url: `${HOOK_URL}/${i}`, secret: SECRET }, world.outsider.token, org)).body);
    }
    const first = await list(world.outsider.token, org, { limit: '2' });
    expect(first.body.items).toEqual([made[2], made[1]]);
    expect(first.headers.link).toContain('cursor=');
    const second = await list(world.outsider.token, org, { limit: '2', cursor: first.body.nextCursor });
    expect(second.body).toEqual({ items: [made[0]], nextCursor: null });

    await pool.tx((tx) =>
      recordEvent(tx, {
        type: 'release.created',
        orgId: world.otherOrg.id,
        repoId: world.otherRepo.id,
        actorId: world.outsider.id,
        resource: {},
      }),
    );
    const gone = made[0].id;
    const [{ count }] = await pool.query(sql`SELECT count(*)::int FROM webhook_deliveries WHERE webhook_id = ${gone}`);
    expect(count).toBe(1);
    const res = await invoke(deleteWebhook, { pathParameters: { org, id: gone }, token: world.outsider.token });
    expect(res.status).toBe(204);
    const [after] = await pool.query(sql`SELECT count(*)::int FROM webhook_deliveries WHERE webhook_id = ${gone}`);
    expect(after.count).toBe(0);
    const again = await invoke(deleteWebhook, { pathParameters: { org, id: gone }, token: world.outsider.token });
    expect(again.status).toBe(404);
    // another org's webhook is not found, not forbidden
    const foreign = await invoke(deleteWebhook, {
      pathParameters: { org: world.org.slug, id: made[1].id },
      token: world.releaseManager.token,
    });
    expect(foreign.status).toBe(404);
  });
});

describe('deliveries of a webhook', () => {
  it('lists each delivery with its attempts, and queues a redelivery with a 202 (a 404 for an unknown one)', async () => {
    const hook = (await create({ url: `${HOOK_URL}/deliveries`, secret: SECRET })).body;
    await pool.tx((tx) =>
      recordEvent(tx, {
        type: 'environment.created',
        orgId: world.org.id,
        repoId: null,
        actorId: world.releaseManager.id,
        resource: { name: 'qa' },
      }),
    );
    const [event] = await pool.query(
      sql`SELECT id FROM events WHERE org_id = ${world.org.id} ORDER BY seq DESC LIMIT 1`,
    );
    const [row] = await pool.query(sql`SELECT id FROM webhook_deliveries WHERE webhook_id = ${hook.id}`);
    // an attempt as the deliverer records it
    await pool.query(sql`
      INSERT INTO webhook_attempts (delivery_id, started_at, duration_ms, status_code, error)
      VALUES (${row.id}, now(), 12, 500, 'answered 500')`);
    await pool.query(sql`UPDATE webhook_deliveries SET status = 'failed', attempts = 1 WHERE id = ${row.id}`);

    const listed = await deliveries(hook.id);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({
      items: [
        {
          id: row.id,
          webhookId: hook.id,
          eventId: event.id,
          event: 'environment.created',
          status: 'failed',
          createdAt: iso,
          nextAttemptAt: null,
          attempts: [{ at: iso, statusCode: 500, durationMs: 12, error: 'answered 500', redelivery: false }],
        },
      ],
      nextCursor: null,
    });

    const redeliver = (deliveryId: string) =>
      invoke(redeliverWebhook, {
        pathParameters: { org: world.org.slug, id: hook.id, deliveryId },
        body: {},
        token: world.releaseManager.token,
      });
    const queued = await redeliver(row.id);
    expect(queued.status).toBe(202);
    expect(queued.body).toMatchObject({ id: row.id, status: 'pending', nextAttemptAt: iso });
    expect((await redeliver(UNKNOWN)).status).toBe(404);
    // while an attempt holds the delivery, a redelivery would send it twice at once
    await pool.query(
      sql`UPDATE webhook_deliveries SET claim = gen_random_uuid(), next_attempt_at = now() + interval '1 minute' WHERE id = ${row.id}`,
    );
    expect((await redeliver(row.id)).status).toBe(409);
    expect((await deliveries(UNKNOWN)).status).toBe(404);
    expect((await deliveries(hook.id, world.developer.token)).status).toBe(403);
  });
});
