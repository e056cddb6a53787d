import pg from 'pg';
import { metrics } from './metrics';

const SHARED = Symbol.for('gitweave.releases.listen');
const holder = globalThis as typeof globalThis & { [SHARED]?: { state: ListenState } };
holder[SHARED] ??= { state: 'none' };
const shared = holder[SHARED];

/** Whether this process's LISTEN connection is `up`, `down` (being made again), or `none` runs here (Lambda). */
export type ListenState = 'none' | 'up' | 'down';

/** The state of this process's LISTEN connection (readiness and the metrics report it). */
export function listenState(): ListenState {
  return shared.state;
}

export interface Listener {
  stop(): Promise<void>;
}

/** The application name of a connection that LISTENs and answers (set after its LISTEN succeeded). */
export const LISTENING = 'gitweave-releases listening';

/** Sends a NOTIFY on `channel` from the listening connection itself (so its backend pid names the sender). */
export type Reply = (channel: string, payload: string) => void;

/** What to do with the payload of a NOTIFY on one channel. */
export type OnMessage = (payload: string, reply: Reply) => void;

/**
 * LISTENs on each channel of `channels` over one connection of its own (a pooled one would lose the subscription when
 * returned; one per process however many channels or waiters), calling that channel's handler for each NOTIFY payload. The connection is re-made after it drops, with a growing pause;
 * `onChange(true | false)` says when the subscription starts or is lost, since NOTIFYs sent meanwhile are gone.
 */
export function listen(
  connectionString: string,
  channels: Readonly<Record<string, OnMessage>>,
  onChange: (listening: boolean) => void,
): Listener {
  let client: pg.Client | undefined;
  let stopped = false;
  let pause = 100;
  let timer: NodeJS.Timeout | undefined;

  shared.state = 'down';
  const lost = () => {
    if (client) {
      shared.state = 'down';
      metrics.listenLosses.inc();
      client.removeAllListeners();
      client.end().catch(() => undefined);
      client = undefined;
      onChange(false);
    }
    if (!stopped) {
      timer = setTimeout(connect, pause);
      timer.unref();
      pause = Math.min(pause * 2, 5_000);
    }
  };

  async function connect() {
    if (stopped) return;
    const next = new pg.Client({ connectionString, application_name: 'gitweave-releases listen' });
    next.on('error', () => undefined);
    try {
      await next.connect();
      for (const channel of Object.keys(channels)) await next.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      // named once subscribed, so that whoever waits for listeners' answers counts only those that will answer
      await next.query(`SET application_name = ${pg.escapeLiteral(LISTENING)}`);
    } catch {
      next.end().catch(() => undefined);
      if (!stopped) {
        timer = setTimeout(connect, pause);
        timer.unref();
        pause = Math.min(pause * 2, 5_000);
      }
      return;
    }
    if (stopped) {
      await next.end().catch(() => undefined);
      return;
    }
    client = next;
    pause = 100;
    const reply: Reply = (to, payload) => {
      next.query('SELECT pg_notify($1, $2)', [to, payload]).catch(() => undefined);
    };
    next.on('notification', (message) => {
      if (Object.hasOwn(channels, message.channel)) channels[message.channel]?.(message.payload ?? '', reply);
    });
    next.on('error', lost);
    next.on('end', lost);
    shared.state = 'up';
    onChange(true);
  }

  void connect();
  return {
    async stop() {
      stopped = true;
      shared.state = 'none';
      if (timer) clearTimeout(timer);
      const current = client;
      client = undefined;
      if (current) {
        current.removeAllListeners();
        current.on('error', () => undefined);
        await current.end().catch(() => undefined);
        onChange(false);
      }
    },
  };
}

/**
 * Runs `change`, then waits until every connection that LISTENs and answers (named LISTENING) has sent each of the
 * payloads `change` returns on `answers.channel`, or `answers.waitMs` at most. Those connections are counted before
 * the change, from a connection that already LISTENs for the answers, so none is missed. When the database cannot be
 * reached to wait on, `change` runs alone: it meets the same fault and says so.
 */
export async function answeredByListeners<T>(
  connectionString: string,
  answers: { channel: string; timeoutMs: number; waitMs: number },
  change: () => Promise<{ value: T; payloads: string[] }>,
): Promise<T> {
  const client = new pg.Client({
    connectionString,
    application_name: 'gitweave-releases wait',
    connectionTimeoutMillis: answers.timeoutMs,
    query_timeout: answers.timeoutMs,
  });
  client.on('error', () => undefined);
  const seen = new Map<number, Set<string>>();
  let wake: (() => void) | undefined;
  let listeners: number[];
  try {
    await client.connect();
    client.on('notification', (message) => {
      if (message.channel !== answers.channel) return;
      const payloads = seen.get(message.processId) ?? new Set<string>();
      payloads.add(message.payload ?? '');
      seen.set(message.processId, payloads);
      wake?.();
    });
    await client.query(`LISTEN ${pg.escapeIdentifier(answers.channel)}`);
    const { rows } = await client.query(
      'SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()',
      [LISTENING],
    );
    listeners = rows.map((row: { pid: number }) => row.pid);
  } catch {
    void client.end().catch(() => undefined);
    return (await change()).value;
  }
  try {
    const { value, payloads } = await change();
    const deadline = Date.now() + answers.waitMs;
    const done = () => listeners.every((pid) => payloads.every((payload) => seen.get(pid)?.has(payload)));
    while (!done() && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, Math.max(1, deadline - Date.now())).unref();
      });
    }
    return value;
  } finally {
    await client.end().catch(() => undefined);
  }
}
