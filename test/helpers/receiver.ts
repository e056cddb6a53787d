import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a receiver got, as it came over the wire. */
interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

/** What a receiver does with a request: answer with this status (and headers), or never answer. */
export type Behaviour = (request: Received) => { status: number; headers?: Record<string, string> } | 'hang';

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** the most connections it had open at once */
  maxOpen(): number;
  /** resolves once `count` requests have come */
  waitFor(count: number): Promise<void>;
  behave(behaviour: Behaviour): void;
  close(): Promise<void>;
}

/**
 * A webhook receiver on loopback (node:http), recording every request; `port` 0 picks a free one, `host` is another
 * loopback address where a test needs one that a name does not resolve to.
 */
export async function startReceiver(
  behaviour: Behaviour = () => ({ status: 204 }),
  port = 0,
  host = '127.0.0.1',
): Promise<Receiver> {
  const received: Received[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  let open = 0;
  let most = 0;
  let current = behaviour;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: performance.now() };
      received.push(request);
      for (const waiter of waiters.filter((w) => received.length >= w.count)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      const answer = current(request);
      if (answer === 'hang') return;
      res.writeHead(answer.status, answer.headers).end();
    });
  });
  server.on('connection', (socket) => {
    open += 1;
    most = Math.max(most, open);
    socket.on('close', () => {
      open -= 1;
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${bound}/hook`,
    port: bound,
    received,
    maxOpen: () => most,
    waitFor: (count) =>
      received.length >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve })),
    behave: (next) => {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
