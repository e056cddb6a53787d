import pg from 'pg';

export interface Listener {
  stop(): Promise<void>;
}

/** The application name of a connection that LISTENs and answers (set after its LISTEN succeeded). */
export const LISTENING = 'gitweave-releases listening';

/** Sends a NOTIFY on `channel` from the listening connection itself (so its backend pid names the sender). */
export type Reply = (channel: string, payload: string) => void;

/**
 * LISTENs on `channel` over a connection of its own (a pooled one would lose the subscription when returned),
 * calling `onMessage` for each NOTIFY payload. The connection is re-made after it drops, with a growing pause;
 * `onChange(true | false)` says when the subscription starts or is lost, since NOTIFYs sent meanwhile are gone.
 */
export function listen(
  connectionString: string,
  channel: string,
  onMessage: (payload: string, reply: Reply) => void,
  onChange: (listening: boolean) => void,
): Listener {
  let client: pg.Client | undefined;
  let stopped = false;
  let pause = 100;
  let timer: NodeJS.Timeout | undefined;

  const lost = () => {
    if (client) {
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
      await next.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
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
      if (message.channel === channel) onMessage(message.payload ?? '', reply);
    });
    next.on('error', lost);
    next.on('end', lost);
    onChange(true);
  }

  void connect();
  return {
    async stop() {
      stopped = true;
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
