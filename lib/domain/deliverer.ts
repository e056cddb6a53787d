import type { Queryable } from '../infra/db';
import { log } from '../infra/log';
import { attempt, claimDue, type DeliveryOptions, leaseMs, nextDue } from './deliveries';

/** The longest the deliverer sleeps without a NOTIFY: a NOTIFY lost while its LISTEN reconnected costs this much. */
const POLL_MS = 30_000;
/** After the database failed a claim, the pause before the next one. */
const FAULT_PAUSE_MS = 1_000;

export interface Deliverer {
  /** looks for due deliveries now (a NOTIFY said new ones exist, or a redelivery was asked for) */
  wake(): void;
  /** claims nothing more and waits for the attempts in flight (each bounded by WEBHOOK_TIMEOUT_MS) */
  stop(): Promise<void>;
}

/**
 * The deliverer of a long-running server: up to `concurrency` attempts in flight, at most one per webhook; it
 * claims whenever a slot frees, when woken, and at the time the next retry is due (polling every 30 s at most).
 */
export function startDeliverer(db: Queryable, options: DeliveryOptions): Deliverer {
  const inFlight = new Map<string, Promise<void>>();
  let stopped = false;
  let pumping = false;
  let again = false;
  let timer: NodeJS.Timeout | undefined;

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
        const claimed = await claimDue(db, [...inFlight.keys()], free, leaseMs(options));
        for (const delivery of claimed) {
          const sending = attempt(db, delivery, options)
            .then(() => undefined)
            .catch((err) => log().warn({ err, delivery: delivery.id }, 'webhook attempt not recorded'))
            .finally(() => {
              inFlight.delete(delivery.webhookId);
              void pump();
            });
          inFlight.set(delivery.webhookId, sending);
        }
        if (claimed.length === free) again = true;
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
    wake: () => void pump(),
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await Promise.all(inFlight.values());
    },
  };
}

/**
 * The deliverer of a scheduled function (Lambda, once a minute): sends what is due, batch by batch, until nothing
 * is or too little time is left for another batch of attempts. Returns how many attempts it made.
 */
export async function deliverDue(db: Queryable, options: DeliveryOptions, remainingMs: () => number): Promise<number> {
  let attempts = 0;
  while (remainingMs() > leaseMs(options)) {
    const claimed = await claimDue(db, [], options.concurrency, leaseMs(options));
    if (claimed.length === 0) break;
    await Promise.all(claimed.map((delivery) => attempt(db, delivery, options)));
    attempts += claimed.length;
  }
  return attempts;
}
