import { describe, expect, it } from 'vitest';
import { handler as createWebhook } from '../../functions/createWebhook';
import { handler as deleteWebhook } from '../../functions/deleteWebhook';
import { handler as listWebhookDeliveries } from '../../functions/listWebhookDeliveries';
import { handler as listWebhooks } from '../../functions/listWebhooks';
import { handler as redeliverWebhook } from '../../functions/redeliverWebhook';
import { recordEvent } from '../../lib/domain/events';
import { sql } from '../../lib/infra/db';
import { invoke } from '../helpers/events';
import { useWorld } from '../helpers/world';

// The webhook endpoints as Lambda calls them, with WEBHOOK_ALLOW_PRIVATE unset (this file's process never sets it):
// registration refuses private destinations. Public destinations are IP literals, so no DNS is needed.
const { pool, world } = useWorld();
const SECRET = 'a-secret-of-the-receiver-0123456789';
const PUBLIC_URL = 'http://93.184.215.14/hooks/gitweave';
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
    const res = await create({ url: PUBLIC_URL, events: ['release.created', 'deployment.created'], secret: SECRET });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      orgId: world.org.id,
      url: PUBLIC_URL,
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
      const res = await create({ url: PUBLIC_URL, secret: SECRET, ...(events ? { events } : {}) });
      expect([res.status, res.body.events]).toEqual([201, ['*']]);
    },
  );

  it.each([
    ['not a URL', 'hooks.example.com/x', 'is not a URL (send an absolute http:// or https:// URL)'],
    ['another scheme', 'ftp://93.184.215.14/x', 'has the scheme ftp; only http and https are allowed'],
    ['a file URL', 'file:///etc/passwd', 'has the scheme file; only http and https are allowed'],
    ['a fragment', `${PUBLIC_URL}#x`, 'has a #fragment, which is never sent; remove it'],
    ['loopback', 'http://127.0.0.1:8080/x', 'is refused: 127.0.0.1 is not a public address (loopback)'],
    ['a private address', 'https://10.1.2.3/x', 'is refused: 10.1.2.3 is not a public address (private)'],
    ['a private address', 'http://192.168.1.10/x', 'is refused: 192.168.1.10 is not a public address (private)'],
    [
      'link-local (cloud metadata)',
      'http://169.254.169.254/latest',
      'is refused: 169.254.169.254 is not a public address (link-local)',
    ],
    ['CGNAT', 'http://100.64.0.1/x', 'is refused: 100.64.0.1 is not a public address (CGNAT shared space)'],
    ['unspecified', 'http://0.0.0.0/x', 'is refused: 0.0.0.0 is not a public address (unspecified, "this network")'],
    ['multicast', 'http://224.0.0.1/x', 'is refused: 224.0.0.1 is not a public address (multicast)'],
    ['IPv6 loopback', 'http://[::1]/x', 'is refused: ::1 is not a public address (loopback)'],
    ['IPv6 ULA', 'http://[fd12:3456::1]/x', 'is refused: fd12:3456::1 is not a public address (unique local, ULA)'],
    ['IPv6 link-local', 'http://[fe80::1]/x', 'is refused: fe80::1 is not a public address (link-local)'],
    [
      'IPv4-mapped IPv6',
      'http://[::ffff:127.0.0.1]/x',
      'is refused: ::ffff:7f00:1 is not a public address (IPv4-mapped)',
    ],
    ['a decimal IPv4', 'http://2130706433/x', 'is refused: 127.0.0.1 is not a public address (loopback)'],
    ['localhost', 'http://localhost:3000/x', 'is refused: localhost ('],
  ])('refuses %s with a 422 that says why (%s)', async (_, url, why) => {
    const res = await create({ url, secret: SECRET });
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body.errors).toEqual([{ path: '/body/url', message: expect.stringContaining(why) }]);
    expect(res.body.detail).toContain(why);
  });

  it('refuses a secret shorter than 16 characters, and a missing one, with a 400', async () => {
    expect((await create({ url: PUBLIC_URL, secret: 'short' })).status).toBe(400);
    expect((await create({ url: PUBLIC_URL })).status).toBe(400);
  });

  it('refuses a developer (403) and an outsider (404)', async () => {
    const developer = await create({ url: PUBLIC_URL, secret: SECRET }, world.developer.token);
    expect([developer.status, developer.body.detail]).toEqual([
      403,
      'Webhooks are managed by release managers; you are a developer in this org.',
    ]);
    expect((await create({ url: PUBLIC_URL, secret: SECRET }, world.outsider.token)).status).toBe(404);
    expect((await list(world.developer.token)).status).toBe(403);
  });
});

describe('GET and DELETE /orgs/{org}/webhooks', () => {
  it('pages newest first, and a deleted webhook is gone with its deliveries', async () => {
    const org = world.otherOrg.slug;
    const made = [];
    for (let i = 0; i < 3; i++) {
      made.push((await create({ url: `${PUBLIC_URL}/${i}`, secret: SECRET }, world.outsider.token, org)).body);
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
    const hook = (await create({ url: `${PUBLIC_URL}/deliveries`, secret: SECRET })).body;
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
