import { createHmac } from 'node:crypto';
import type { Config } from '../infra/config';
import { type Queryable, type Row, sql } from '../infra/db';
import { metrics } from '../infra/metrics';
import { type OutboundPolicy, type PostOutcome, postOnce } from '../infra/outbound';

/** How the deliverer sends: WEBHOOK_TIMEOUT_MS, WEBHOOK_RETRY_BASE_MS, WEBHOOK_CONCURRENCY, WEBHOOK_ALLOW_PRIVATE. */
export interface DeliveryOptions extends OutboundPolicy {
  timeoutMs: number;
  retryBaseMs: number;
  concurrency: number;
}

/** A delivery is retried for this long after its event, then marked failed. */
const RETRY_WINDOW_MS = 24 * 60 * 60 * 1000;
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

/** How many due deliveries of one webhook a slot claims at once and sends one after the other. */
const BATCH = 50;

export interface Claimed {
  id: string;
  webhookId: string;
  eventType: string;
  url: string;
  secret: string;
  /** the body: kept from an earlier attempt, else the event as rendered when it was written (events.public) */
  payload: string;
  claim: string;
  attempts: number;
  once: boolean;
  createdAt: Date;
}

/**
 * Claims due deliveries for at most `slots` webhooks, none of them in `busy` (those this process is sending to
 * already: a receiver holds one slot, never more), and at most BATCH per webhook, oldest first, which one slot sends
 * in turn. Rows another deliverer holds locked are skipped (FOR UPDATE SKIP LOCKED). A claim is a lease: the
 * delivery is not due again until twice the timeout and a second have passed (a batch starts no attempt after one
 * timeout, so it is recorded by then), after which another deliverer may take it over (its claimer died). Each
 * comes with its body, rendered from its event if no attempt has kept one yet. Webhooks are taken in turn, by id
 * from just after `after` (the last one the caller claimed for), so that with more webhooks due than slots none
 * waits behind the others for ever.
 */
export async function claimDue(
  db: Queryable,
  busy: string[],
  slots: number,
  options: Pick<DeliveryOptions, 'timeoutMs'>,
  after = '00000000-0000-0000-0000-000000000000',
): Promise<Array<{ webhookId: string; batch: Claimed[] }>> {
  const rows = await db.query(sql`
    WITH ready AS (
      SELECT w.id FROM webhooks w
      WHERE w.id <> ALL (${busy}::uuid[]) AND EXISTS (
        SELECT 1 FROM webhook_deliveries x WHERE x.webhook_id = w.id AND x.status = 'pending' AND x.next_attempt_at <= now())
      ORDER BY w.id <= ${after}::uuid, w.id
      LIMIT ${slots}
    ), picked AS (
      SELECT d.id, d.webhook_id, d.next_attempt_at FROM ready
      CROSS JOIN LATERAL (
        SELECT id, webhook_id, next_attempt_at FROM webhook_deliveries
        WHERE webhook_id = ready.id AND status = 'pending' AND next_attempt_at <= now()
        ORDER BY next_attempt_at, id
        LIMIT ${BATCH}
        FOR UPDATE SKIP LOCKED
      ) d
    ), turns AS (
      SELECT id, row_number() OVER (PARTITION BY webhook_id ORDER BY next_attempt_at, id) - 1 AS turn FROM picked
    )
    UPDATE webhook_deliveries d
    SET claim = gen_random_uuid(), attempts = d.attempts + (NOT d.once)::int,
      next_attempt_at = now() + make_interval(secs => ${leaseMs(options) / 1000})
    FROM turns, webhooks w, events ev
    WHERE d.id = turns.id AND w.id = d.webhook_id AND ev.id = d.event_id
    RETURNING d.id AS delivery_id, d.webhook_id, d.event_type, w.url, w.secret, d.payload, d.claim, d.attempts,
      d.once, d.created_at, turns.turn, ev.public::text AS event`);
  const batches = new Map<string, Claimed[]>();
  for (const row of [...rows].sort((a: Row, b: Row) => a.turn - b.turn)) {
    const batch = batches.get(row.webhook_id) ?? [];
    batch.push({
      id: row.delivery_id,
      webhookId: row.webhook_id,
      eventType: row.event_type,
      url: row.url,
      secret: row.secret,
      payload: row.payload ?? row.event,
      claim: row.claim,
      attempts: row.attempts,
      once: row.once,
      createdAt: row.created_at,
    });
    batches.set(row.webhook_id, batch);
  }
  // in the order of the turn: the last is where the next claim starts after
  const inTurn = (id: string) => `${id <= after ? 1 : 0}${id}`;
  return [...batches]
    .sort(([a], [b]) => (inTurn(a) < inTurn(b) ? -1 : 1))
    .map(([webhookId, batch]) => ({ webhookId, batch }));
}

/** Gives claimed deliveries back, due now (the rest of a batch whose receiver failed, or a stopping deliverer's). */
export async function releaseClaims(db: Queryable, claimed: Claimed[]): Promise<void> {
  if (claimed.length === 0) return;
  await db.query(sql`
    UPDATE webhook_deliveries SET claim = NULL, next_attempt_at = now(), attempts = attempts - (NOT once)::int
    WHERE id = ANY (${claimed.map((c) => c.id)}::uuid[]) AND claim = ANY (${claimed.map((c) => c.claim)}::uuid[])`);
}

/** One attempt made: the delivery, when it started and what it came to. */
export interface Made {
  delivery: Claimed;
  startedAt: Date;
  outcome: PostOutcome;
}

/**
 * Records the attempts of a batch and decides what follows each, in one statement: a 2xx delivers; otherwise a
 * retry after the backoff, unless that would fall past 24 hours after the event, or the attempt was a redelivery:
 * then the delivery fails. The body sent is kept, so that every later attempt sends (and signs) the same bytes. An
 * outcome is kept only while the claim is still the attempt's own (a deliverer that took over after the lease
 * ended decides instead); the attempt itself is always recorded, since it was made.
 */
export async function recordAttempts(db: Queryable, made: Made[], retryBaseMs: number): Promise<void> {
  if (made.length === 0) return;
  const next = made.map(({ delivery, outcome }) => {
    const delayMs = backoffMs(delivery.attempts, retryBaseMs);
    const giveUp = delivery.once || Date.now() + delayMs > delivery.createdAt.getTime() + RETRY_WINDOW_MS;
    return { status: outcome.error === null ? 'delivered' : giveUp ? 'failed' : 'pending', delayS: delayMs / 1000 };
  });
  await db.query(sql`
    WITH made AS (
      SELECT * FROM unnest(
        ${made.map((m) => m.delivery.id)}::uuid[], ${made.map((m) => m.delivery.claim)}::uuid[],
        ${made.map((m) => m.startedAt)}::timestamptz[], ${made.map((m) => m.outcome.durationMs)}::int[],
        ${made.map((m) => m.outcome.statusCode)}::int[], ${made.map((m) => m.outcome.error)}::text[],
        ${made.map((m) => m.delivery.once)}::boolean[], ${next.map((n) => n.status)}::text[],
        ${next.map((n) => n.delayS)}::float8[], ${made.map((m) => m.delivery.payload)}::text[]
      ) AS m (id, claim, started_at, duration_ms, status_code, error, redelivery, status, delay_s, payload)
    ), attempts AS (
      INSERT INTO webhook_attempts (delivery_id, started_at, duration_ms, status_code, error, redelivery)
      SELECT m.id, m.started_at, m.duration_ms, m.status_code, m.error, m.redelivery
      FROM made m JOIN webhook_deliveries d ON d.id = m.id
    )
    UPDATE webhook_deliveries d
    SET claim = NULL, once = false, payload = COALESCE(d.payload, m.payload), status = m.status,
      next_attempt_at = now() + make_interval(secs => m.delay_s)
    FROM made m
    WHERE d.id = m.id AND d.claim = m.claim`);
  for (const { status } of next) metrics.webhookAttempts.inc(OUTCOME[status as keyof typeof OUTCOME]);
}

/** The label of an attempt's metric, by the delivery's status after it. */
const OUTCOME = {
  delivered: { outcome: 'succeeded' },
  pending: { outcome: 'retried' },
  failed: { outcome: 'failed' },
} as const;

/**
 * The delivery backlog, for the metrics: deliveries `due` now (a lease run out counts: its claimer died), those
 * `inFlight` (claimed by a deliverer, their lease running), and how long the oldest due one has waited, in seconds (0: none due).
 */
export async function deliveryBacklog(db: Queryable): Promise<{ due: number; inFlight: number; oldestDueS: number }> {
  const [row] = await db.query(sql`
    SELECT count(*) FILTER (WHERE next_attempt_at <= now()) AS due,
      count(*) FILTER (WHERE claim IS NOT NULL AND next_attempt_at > now()) AS in_flight,
      COALESCE(EXTRACT(EPOCH FROM now() - min(next_attempt_at) FILTER (WHERE next_attempt_at <= now())), 0) AS oldest
    FROM webhook_deliveries WHERE status = 'pending'`);
  return { due: Number(row?.due ?? 0), inFlight: Number(row?.in_flight ?? 0), oldestDueS: Number(row?.oldest ?? 0) };
}

/** Sends one claimed delivery once: a POST of the event, signed. Records nothing (see `recordAttempts`). */
export async function attempt(delivery: Claimed, options: DeliveryOptions): Promise<Made> {
  const startedAt = new Date();
  const outcome = await postOnce(
    delivery.url,
    delivery.payload,
    {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'x-gitweave-event': delivery.eventType,
      'x-gitweave-delivery': delivery.id,
      'x-gitweave-signature-256': signature(delivery.secret, delivery.payload),
    },
    options,
  );
  return { delivery, startedAt, outcome };
}

/**
 * How long a claim lasts before another deliverer may take the delivery over (its claimer died, or was stopped):
 * twice the attempt's timeout and a second, room enough for the database writes around the POST.
 */
function leaseMs(options: Pick<DeliveryOptions, 'timeoutMs'>): number {
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
