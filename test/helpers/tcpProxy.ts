import net from 'node:net';

type ProxyMode = 'pass' | 'refuse' | 'hang';

export interface TcpProxy {
  /** the proxy's address as a Postgres URL: `target` with its host and port replaced */
  url: string;
  /**
   * pass: forward both ways; refuse: close every existing and new connection; hang: accept and forward nothing
   * either way (leaving hang closes the connections it froze, as a recovered network would have reset them).
   */
  setMode(mode: ProxyMode): void;
  /** connections accepted since the last setMode */
  connections: number;
  /** what clients sent since the last setMode, as latin1 text (Postgres sends SQL in the clear on localhost) */
  received: () => string;
  close(): Promise<void>;
}

/** A real TCP proxy on 127.0.0.1 in front of the Postgres of `target`, switchable between network faults. */
export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const upstream = new URL(target);
  const pairs = new Set<{ client: net.Socket; server?: net.Socket; frozen: boolean }>();
  let mode: ProxyMode = 'pass';
  let received: Buffer[] = [];

  const server = net.createServer((client) => {
    proxy.connections += 1;
    if (mode === 'refuse') {
      client.destroy();
      return;
    }
    const pair: { client: net.Socket; server?: net.Socket; frozen: boolean } = { client, frozen: mode === 'hang' };
    pairs.add(pair);
    const drop = () => {
      pair.client.destroy();
      pair.server?.destroy();
      pairs.delete(pair);
    };
    client.on('error', drop).on('close', drop);
    client.on('data', (chunk: Buffer) => {
      received.push(chunk);
      if (!pair.frozen) pair.server?.write(chunk);
    });
    if (pair.frozen) return;
    pair.server = net.connect(Number(upstream.port || 5432), upstream.hostname);
    pair.server.on('error', drop).on('close', drop);
    pair.server.on('data', (chunk: Buffer) => {
      if (!pair.frozen) client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String(port);

  const proxy: TcpProxy = {
    url: url.toString(),
    connections: 0,
    received: () => Buffer.concat(received).toString('latin1'),
    setMode(next) {
      for (const pair of [...pairs]) {
        if (next === 'refuse' || (mode === 'hang' && pair.frozen)) {
          pair.client.destroy();
          pair.server?.destroy();
          pairs.delete(pair);
        } else if (next === 'hang') {
          pair.frozen = true;
        }
      }
      mode = next;
      proxy.connections = 0;
      received = [];
    },
    async close() {
      proxy.setMode('refuse');
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
