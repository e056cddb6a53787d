import { createHmac } from 'node:crypto';
import type { Config } from '../infra/config';
import { type Queryable, type Row, sql } from '../infra/db';
import { type OutboundPolicy, type PostOutcome, postOnce } from '../infra/outbound';
import { PUBLIC_EVENT_COLUMNS, PUBLIC_EVENT_SOURCE, publicEvent } from './events';

/** How the deliverer sends: WEBHOOK_TIMEOUT_MS, WEBHOOK_RETRY_BASE_MS, WEBHOOK_CONCURRENCY, WEBHOOK_ALLOW_PRIVATE. */
export interface DeliveryOptions extends OutboundPolicy {
  timeoutMs: number;
  retryBaseMs: number;
  concurrency: number;
}

/** A delivery is retried for this long after its event, then marked failed. */
export const RETRY_WINDOW_MS = 24 * 60 * 60 * 1000;
/** The longest pause between two retries, in units of the base delay (30 s by default: about an hour). */
const MAX_BACKOFF_FACTOR = 128;

export const USER_AGENT = 'GitWeave-Releases-Webhooks/1';

/** `sha256=<hex HMAC-SHA256 of body keyed by secret>`, the X-GitWeave-Signature-256 (GitHub's X-Hub-Signature-256). */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/**
 * The pause before retry number `attempts` (1 after the first failure): the base doubled each time, up to 128
 * times the base, then scaled by a random factor in [0.5, 1) ("equal jitter"), so that the deliveries of an outage
 * do not all come back at once.
 */
export function backoffMs(attempts: number, baseMs: number, random: number = Math.random()): number {
  const exponential = baseMs * 2 ** Math.min(Math.max(attempts - 1, 0), Math.log2(MAX_BACKOFF_FACTOR));
  return Math.round(exponential * (0.5 + random / 2));
}

interface Claimed {
  id: string;
  webhookId: string;
  eventId: string;
  eventType: string;
  url: string;
  secret: string;
  payload: string | null;
  claim: string;
  attempts: number;
  once: boolean;
  createdAt: Date;
}

/**
 * Claims at most `limit` due deliveries, at most one per webhook and none of a webhook in `busy` (those this
 * process is sending to already: a receiver that hangs holds one slot, never all of them). Rows another deliverer
 * holds locked are skipped (FOR UPDATE SKIP LOCKED); a claimed delivery is not due again before its lease ends.
 */
export async function claimDue(db: Queryable, busy: string[], limit: number, leaseMs: number): Promise<Claimed[]> {
  const rows = await db.query(sql`
    WITH picked AS (
      SELECT d.id FROM webhooks w
      CROSS JOIN LATERAL (
        SELECT id FROM webhook_deliveries
        WHERE webhook_id = w.id AND status = 'pending' AND next_attempt_at <= now()
        ORDER BY next_attempt_at
        LIMIT 1
        FOR UPDATE SKIP LOCKED
      ) d
      WHERE w.id <> ALL (${busy}::uuid[])
      LIMIT ${limit}
    )
    UPDATE webhook_deliveries d
    SET claim = gen_random_uuid(), attempts = d.attempts + (NOT d.once)::int,
      next_attempt_at = now() + make_interval(secs => ${leaseMs / 1000})
    FROM picked, webhooks w
    WHERE d.id = picked.id AND w.id = d.webhook_id
    RETURNING d.id, d.webhook_id, d.event_id, d.event_type, w.url, w.secret, d.payload, d.claim, d.attempts, d.once,
      d.created_at`);
  return rows.map((row: Row) => ({
    id: row.id,
    webhookId: row.webhook_id,
    eventId: row.event_id,
    eventType: row.event_type,
    url: row.url,
    secret: row.secret,
    payload: row.payload,
    claim: row.claim,
    attempts: row.attempts,
    once: row.once,
    createdAt: row.created_at,
  }));
}

/** The body of a delivery: rendered at its first attempt and kept, so that every retry sends the same bytes. */
async function payloadOf(db: Queryable, claimed: Claimed): Promise<string> {
  if (claimed.payload !== null) return claimed.payload;
  const [row] = await db.query(
    sql`SELECT ${PUBLIC_EVENT_COLUMNS} FROM ${PUBLIC_EVENT_SOURCE} WHERE ev.id = ${claimed.eventId}`,
  );
  const rendered = JSON.stringify(publicEvent(row as Row));
  const [kept] = await db.query(sql`
    UPDATE webhook_deliveries SET payload = COALESCE(payload, ${rendered}) WHERE id = ${claimed.id} RETURNING payload`);
  return (kept?.payload as string | undefined) ?? rendered;
}

/**
 * Records what an attempt came to and decides what follows: a 2xx delivers; otherwise a retry after the backoff,
 * unless that would fall past 24 hours after the event, or the attempt was a redelivery: then the delivery fails.
 * The outcome is kept only while the claim is still the attempt's own (a deliverer that took over after the lease
 * ended decides instead); the attempt itself is always recorded, since it was made.
 */
async function recordAttempt(
  db: Queryable,
  claimed: Claimed,
  startedAt: Date,
  outcome: PostOutcome,
  retryBaseMs: number,
): Promise<void> {
  const delayMs = backoffMs(claimed.attempts, retryBaseMs);
  const delivered = outcome.error === null;
  const giveUp = claimed.once || Date.now() + delayMs > claimed.createdAt.getTime() + RETRY_WINDOW_MS;
  await db.tx(async (tx) => {
    await tx.query(sql`
      INSERT INTO webhook_attempts (delivery_id, started_at, duration_ms, status_code, error, redelivery)
      SELECT id, ${startedAt}, ${outcome.durationMs}, ${outcome.statusCode}, ${outcome.error}, ${claimed.once}
      FROM webhook_deliveries WHERE id = ${claimed.id}`);
    await tx.query(sql`
      UPDATE webhook_deliveries
      SET claim = NULL, once = false,
        status = ${delivered ? 'delivered' : giveUp ? 'failed' : 'pending'},
        next_attempt_at = now() + make_interval(secs => ${delayMs / 1000})
      WHERE id = ${claimed.id} AND claim = ${claimed.claim}`);
  });
}

/** Sends one claimed delivery once (a POST of the event, signed) and records the attempt. */
export async function attempt(db: Queryable, claimed: Claimed, options: DeliveryOptions): Promise<PostOutcome> {
  const body = await payloadOf(db, claimed);
  const startedAt = new Date();
  const outcome = await postOnce(
    claimed.url,
    body,
    {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'x-gitweave-event': claimed.eventType,
      'x-gitweave-delivery': claimed.id,
      'x-gitweave-signature-256': signature(claimed.secret, body),
    },
    options,
  );
  await recordAttempt(db, claimed, startedAt, outcome, options.retryBaseMs);
  return outcome;
}

/**
 * How long a claim lasts before another deliverer may take the delivery over (its claimer died, or was stopped):
 * twice the attempt's timeout and a second, room enough for the database writes around the POST.
 */
export function leaseMs(options: DeliveryOptions): number {
  return options.timeoutMs * 2 + 1000;
}

/**
 * The time the next pending delivery is due, or null when none is pending; deliveries of the webhooks in `busy`
 * are left out (the end of their attempt in flight wakes the deliverer).
 */
export async function nextDue(db: Queryable, busy: string[]): Promise<Date | null> {
  const [row] = await db.query(sql`
    SELECT min(next_attempt_at) AS due FROM webhook_deliveries
    WHERE status = 'pending' AND webhook_id <> ALL (${busy}::uuid[])`);
  return (row?.due as Date | null) ?? null;
}

/** The deliverer's settings from the process configuration (lib/infra/config). */
export function deliveryOptions(config: Config): DeliveryOptions {
  return {
    allowPrivate: config.webhookAllowPrivate,
    timeoutMs: config.webhookTimeoutMs,
    retryBaseMs: config.webhookRetryBaseMs,
    concurrency: config.webhookConcurrency,
  };
}
