import type { Role } from '../../schemas/common';
import { type Delivery, WEBHOOK_EVENT_TYPES, type Webhook } from '../../schemas/webhooks';
import { decodeTimeCursor, encodeTimeCursor, keysetPage } from '../infra/cursor';
import { type Queryable, type Row, sql } from '../infra/db';
import { Conflict, Forbidden, NotFound, Unprocessable } from '../infra/errors';
import { type OutboundPolicy, RefusedDestination, resolveDestination } from '../infra/outbound';
import { isoTime } from '../infra/time';
import type { OrgAccess } from './orgs';

/**
 * The channel the deliverers LISTEN on: a transaction that makes deliveries (or asks for one again) notifies it, with
 * the webhook's id as the payload.
 */
export const WEBHOOKS_CHANNEL = 'gitweave_webhooks';

/** Webhooks send an org's events, and their secrets sign them: managing them needs the release_manager role. */
function checkMayManageWebhooks(role: Role): void {
  if (role !== 'release_manager') {
    throw new Forbidden(`Webhooks are managed by release managers; you are a ${role} in this org.`);
  }
}

/**
 * Why `raw` cannot be a webhook's URL (a 422 naming the reason), else the URL as it will be called: it must be an
 * absolute http or https URL, and its host must resolve to public addresses only, unless `policy.allowPrivate`.
 * The same check runs again at every delivery, on the address actually connected to.
 */
async function checkWebhookUrl(raw: string, policy: OutboundPolicy): Promise<string> {
  const refuse = (message: string) =>
    new Unprocessable(`The webhook URL ${message}.`, [{ path: '/body/url', message }]);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse('is not a URL (send an absolute http:// or https:// URL)');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw refuse(`has the scheme ${url.protocol.slice(0, -1)}; only http and https are allowed`);
  }
  if (!url.hostname) throw refuse('has no host');
  if (url.hash) throw refuse('has a #fragment, which is never sent; remove it');
  try {
    if (!policy.allowPrivate) await resolveDestination(url.hostname, policy);
  } catch (err) {
    if (err instanceof RefusedDestination) throw refuse(`is refused: ${err.message}`);
    const code = (err as { code?: string }).code ?? 'error';
    throw refuse(`has a host that does not resolve (${code})`);
  }
  return url.href;
}

function toWebhook(row: Row): Webhook {
  return {
    id: row.id,
    orgId: row.org_id,
    url: row.url,
    events: row.events.length === 0 ? ['*'] : row.events,
    createdAt: isoTime(row.created_at),
  };
}

// the secret is never among them
const webhookColumns = sql`id, org_id, url, events, created_at`;

/** Subscribes `url` to the org's events of `events` (none, or `*`: every type), signed with `secret`. */
export async function createWebhook(
  db: Queryable,
  org: OrgAccess,
  userId: string,
  body: { url: string; events?: string[]; secret: string },
  policy: OutboundPolicy,
): Promise<Webhook> {
  checkMayManageWebhooks(org.role);
  const url = await checkWebhookUrl(body.url, policy);
  const all = !body.events || body.events.length === 0 || body.events.includes('*');
  const events = all ? [] : WEBHOOK_EVENT_TYPES.filter((type) => body.events?.includes(type));
  const [row] = await db.query(sql`
    INSERT INTO webhooks (org_id, url, events, secret, created_by)
    VALUES (${org.id}, ${url}, ${events}, ${body.secret}, ${userId})
    RETURNING ${webhookColumns}`);
  return toWebhook(row as Row);
}

/** One page of the org's webhooks, newest first. */
export async function listWebhooks(
  db: Queryable,
  org: OrgAccess,
  page: { limit: number; cursor?: string },
): Promise<{ items: Webhook[]; nextCursor: string | null }> {
  checkMayManageWebhooks(org.role);
  const after = page.cursor ? decodeTimeCursor('webhooks', page.cursor) : null;
  const rows = await db.query(sql`
    SELECT ${webhookColumns} FROM webhooks
    WHERE org_id = ${org.id} ${after ? sql`AND (created_at, id) < (${after.at}, ${after.id})` : sql``}
    ORDER BY created_at DESC, id DESC
    LIMIT ${page.limit + 1}`);
  return keysetPage(rows, page.limit, toWebhook, (last) =>
    encodeTimeCursor('webhooks', { at: last.created_at, id: last.id }),
  );
}

/** Deletes a webhook with its deliveries and their attempts; nothing more is sent to it. */
export async function deleteWebhook(db: Queryable, org: OrgAccess, id: string): Promise<void> {
  checkMayManageWebhooks(org.role);
  const rows = await db.query(sql`DELETE FROM webhooks WHERE id = ${id} AND org_id = ${org.id} RETURNING id`);
  if (rows.length === 0) throw new NotFound(`Webhook ${id} was not found`);
}

async function checkWebhookOf(db: Queryable, org: OrgAccess, id: string): Promise<void> {
  checkMayManageWebhooks(org.role);
  const [row] = await db.query(sql`SELECT 1 FROM webhooks WHERE id = ${id} AND org_id = ${org.id}`);
  if (!row) throw new NotFound(`Webhook ${id} was not found`);
}

function toDelivery(row: Row): Delivery {
  return {
    id: row.id,
    webhookId: row.webhook_id,
    eventId: row.event_id,
    event: row.event_type,
    status: row.status,
    createdAt: isoTime(row.created_at),
    nextAttemptAt: row.status === 'pending' ? isoTime(row.next_attempt_at) : null,
    attempts: (row.attempt_list as Row[]).map((attempt) => ({
      at: isoTime(attempt.at),
      statusCode: attempt.statusCode,
      durationMs: attempt.durationMs,
      error: attempt.error,
      redelivery: attempt.redelivery,
    })),
  };
}

const deliveryColumns = sql`
  d.id, d.webhook_id, d.event_id, d.event_type, d.status, d.created_at, d.next_attempt_at,
  COALESCE((SELECT json_agg(json_build_object('at', a.started_at, 'statusCode', a.status_code,
      'durationMs', a.duration_ms, 'error', a.error, 'redelivery', a.redelivery) ORDER BY a.id)
    FROM webhook_attempts a WHERE a.delivery_id = d.id), '[]') AS attempt_list`;

/** One page of a webhook's deliveries, newest first, each with every attempt (status, duration, error, time). */
export async function listDeliveries(
  db: Queryable,
  org: OrgAccess,
  webhookId: string,
  page: { limit: number; cursor?: string },
): Promise<{ items: Delivery[]; nextCursor: string | null }> {
  await checkWebhookOf(db, org, webhookId);
  const after = page.cursor ? decodeTimeCursor(`deliveries:${webhookId}`, page.cursor) : null;
  const rows = await db.query(sql`
    SELECT ${deliveryColumns} FROM webhook_deliveries d
    WHERE d.webhook_id = ${webhookId} ${after ? sql`AND (d.created_at, d.id) < (${after.at}, ${after.id})` : sql``}
    ORDER BY d.created_at DESC, d.id DESC
    LIMIT ${page.limit + 1}`);
  return keysetPage(rows, page.limit, toDelivery, (last) =>
    encodeTimeCursor(`deliveries:${webhookId}`, { at: last.created_at, id: last.id }),
  );
}

/**
 * Queues one more attempt of a delivery, with the same delivery id and body, due now. A delivery that is final
 * (delivered or failed) gets exactly one attempt; one still pending is just brought forward. One whose attempt is
 * in flight is a 409: the deliverer would otherwise send it twice at once.
 */
export async function redeliver(db: Queryable, org: OrgAccess, webhookId: string, deliveryId: string) {
  await checkWebhookOf(db, org, webhookId);
  return db.tx(async (tx) => {
    const [current] = await tx.query(sql`
      SELECT status, claim IS NOT NULL AND next_attempt_at > now() AS in_flight FROM webhook_deliveries
      WHERE id = ${deliveryId} AND webhook_id = ${webhookId} FOR UPDATE`);
    if (!current) throw new NotFound(`Delivery ${deliveryId} of webhook ${webhookId} was not found`);
    if (current.in_flight) {
      throw new Conflict(`Delivery ${deliveryId} is being attempted right now; ask again once that attempt is over.`);
    }
    await tx.query(sql`
      UPDATE webhook_deliveries
      SET once = once OR status <> 'pending', status = 'pending', next_attempt_at = now(), claim = NULL
      WHERE id = ${deliveryId}`);
    await tx.query(sql`SELECT pg_notify(${WEBHOOKS_CHANNEL}, ${webhookId})`);
    const [row] = await tx.query(sql`SELECT ${deliveryColumns} FROM webhook_deliveries d WHERE d.id = ${deliveryId}`);
    return toDelivery(row as Row);
  });
}
