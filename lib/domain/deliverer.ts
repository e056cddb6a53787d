import type { Queryable } from '../infra/db';
import { log } from '../infra/log';
import {
  attempt,
  type Claimed,
  claimDue,
  type DeliveryOptions,
  type Made,
  nextDue,
  recordAttempts,
  releaseClaims,
} from './deliveries';

/** The longest the deliverer sleeps without a NOTIFY: a NOTIFY lost while its LISTEN reconnected costs this much. */
const POLL_MS = 30_000;
/** After the database failed a claim, the pause before the next one. */
const FAULT_PAUSE_MS = 1_000;

export interface Deliverer {
  /**
   * looks for due deliveries now (a NOTIFY said new ones exist, or a redelivery was asked for); with the id of a
   * webhook it is sending to already, does nothing: the end of that batch claims again
   */
  wake(webhookId?: string): void;
  /** claims nothing more, gives back what it claimed and has not sent, and waits for the attempts in flight */
  stop(): Promise<void>;
}

/**
 * Sends a batch of one webhook's deliveries in turn, on one connection at a time, then records every attempt in one
 * statement (an attempt sent but not recorded, its deliverer killed, is sent again once its lease ends: at least
 * once). After a failed attempt the rest is given back, due at once, so that the next claims take them up one by
 * one: a receiver that fails or hangs costs one timeout at a time, never a batch's worth. Stops early, giving the
 * rest back, when `stopping()` says so or one timeout has passed.
 */
async function sendBatch(
  db: Queryable,
  batch: Claimed[],
  options: DeliveryOptions,
  stopping: () => boolean,
): Promise<number> {
  const made: Made[] = [];
  const started = Date.now();
  for (const delivery of batch) {
    // past one timeout, the rest waits for the next claim: every attempt is recorded within its lease
    if (stopping() || Date.now() - started >= options.timeoutMs) break;
    const one = await attempt(delivery, options);
    made.push(one);
    if (one.outcome.error !== null) break;
  }
  await recordAttempts(db, made, options.retryBaseMs);
  await releaseClaims(db, batch.slice(made.length));
  return made.length;
}

/**
 * The deliverer of a long-running server: up to `concurrency` webhooks served at once, one slot each; it claims
 * whenever a slot frees, when woken, and at the time the next retry is due (polling every 30 s at most).
 */
export function startDeliverer(db: Queryable, options: DeliveryOptions): Deliverer {
  const inFlight = new Map<string, Promise<void>>();
  let stopped = false;
  let pumping = false;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  // the webhook claimed for last: the next claim starts after it (webhooks in turn)
  let after: string | undefined;

  const schedule = (ms: number) => {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(pump, Math.max(1, Math.min(ms, POLL_MS)));
    timer.unref();
  };

  async function pump(): Promise<void> {
    if (stopped) return;
    if (pumping) {
      again = true;
      return;
    }
    pumping = true;
    try {
      do {
        again = false;
        const free = options.concurrency - inFlight.size;
        if (free <= 0) break;
        const batches = await claimDue(db, [...inFlight.keys()], free, options, after);
        after = batches.at(-1)?.webhookId ?? after;
        for (const { webhookId, batch } of batches) {
          const sending = sendBatch(db, batch, options, () => stopped)
            .then(() => undefined)
            .catch((err) => log().warn({ err, webhookId }, 'webhook attempt not recorded'))
            .finally(() => {
              inFlight.delete(webhookId);
              void pump();
            });
          inFlight.set(webhookId, sending);
        }
        if (batches.length === free) again = true;
      } while (again && !stopped);
      const due = await nextDue(db, [...inFlight.keys()]);
      schedule(due ? due.getTime() - Date.now() : POLL_MS);
    } catch (err) {
      log().warn({ err }, 'webhook deliverer could not claim; trying again');
      schedule(FAULT_PAUSE_MS);
    } finally {
      pumping = false;
    }
    // a wake that came while this pass was reading the next due time
    if (again && !stopped) void pump();
  }

  void pump();
  return {
    wake: (webhookId) => {
      if (!webhookId || !inFlight.has(webhookId)) void pump();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await Promise.all(inFlight.values());
    },
  };
}

/**
 * The deliverer of a scheduled function (Lambda, once a minute): sends what is due, round by round, until nothing
 * is or too little time is left for another round. Returns how many attempts it made.
 */
export async function deliverDue(db: Queryable, options: DeliveryOptions, remainingMs: () => number): Promise<number> {
  let attempts = 0;
  // a round may send a whole batch to a receiver that answers just within the timeout
  const stopping = () => remainingMs() < options.timeoutMs * 2 + 1000;
  let after: string | undefined;
  while (!stopping()) {
    const batches = await claimDue(db, [], options.concurrency, options, after);
    if (batches.length === 0) break;
    after = batches.at(-1)?.webhookId;
    const sent = await Promise.all(batches.map(({ batch }) => sendBatch(db, batch, options, stopping)));
    attempts += sent.reduce((sum, n) => sum + n, 0);
  }
  return attempts;
}
