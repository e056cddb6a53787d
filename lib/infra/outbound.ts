import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { specialPurpose } from './addresses';

/** Where an outbound request may go: only public addresses, unless `allowPrivate` (WEBHOOK_ALLOW_PRIVATE). */
export interface OutboundPolicy {
  allowPrivate: boolean;
}

/** A destination refused by the policy; the message says which address and why. */
export class RefusedDestination extends Error {
  override name = 'RefusedDestination';
}

function refusal(host: string, address: string, kind: string): RefusedDestination {
  const named = host === address ? address : `${host} (${address})`;
  return new RefusedDestination(
    `${named} is not a public address (${kind}); webhooks only reach public addresses unless WEBHOOK_ALLOW_PRIVATE=true`,
  );
}

/**
 * The addresses `host` resolves to (itself when it is an IP literal), each checked against the policy: one
 * refused address refuses the host, since which of them a connection would use is not ours to choose.
 */
export async function resolveDestination(host: string, policy: OutboundPolicy): Promise<dns.LookupAddress[]> {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const family = net.isIP(bare);
  const addresses = family ? [{ address: bare, family }] : await dns.promises.lookup(bare, { all: true });
  if (addresses.length === 0) throw new RefusedDestination(`${host} does not resolve to any address`);
  if (!policy.allowPrivate) {
    for (const { address } of addresses) {
      const kind = specialPurpose(address);
      if (kind) throw refusal(bare, address, kind);
    }
  }
  return addresses;
}

/** What one POST came to: the answer's status (null when none came) and how long it took, or why it failed. */
export interface PostOutcome {
  statusCode: number | null;
  durationMs: number;
  error: string | null;
}

function describeError(err: unknown): string {
  if (err instanceof RefusedDestination) return `refused: ${err.message}`;
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `the host does not resolve (${code})`;
  return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
}

/** Resolves and checks a destination: `resolveDestination`, or what a test puts in its place (see `postOnce`). */
type Resolve = (host: string, policy: OutboundPolicy) => Promise<dns.LookupAddress[]>;

/**
 * POSTs `body` to `url` once: the host is resolved and checked here, and the connection is pinned to the checked
 * address (a second resolution could answer differently: DNS rebinding); the address actually connected to is
 * checked again before a byte is sent. No redirect is followed and nothing is pooled. The whole attempt, up to
 * the answer's status line, is bounded by `timeoutMs`; the answer's body is not read.
 */
export async function postOnce(
  url: string,
  body: string,
  headers: Record<string, string>,
  options: OutboundPolicy & {
    timeoutMs: number;
    /**
     * Only tests pass this: a resolver that answers other than the system's (the pin is then what decides where the
     * connection goes) or skips the check (the check after connecting is then the one that refuses).
     */
    resolve?: Resolve;
  },
): Promise<PostOutcome> {
  const started = performance.now();
  const took = () => Math.round(performance.now() - started);
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return { statusCode: null, durationMs: took(), error: 'the URL is not valid' };
  }
  const client = target.protocol === 'https:' ? https : target.protocol === 'http:' ? http : undefined;
  if (!client) return { statusCode: null, durationMs: took(), error: `the scheme ${target.protocol} is not allowed` };

  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  try {
    const resolving = (options.resolve ?? resolveDestination)(target.hostname, options);
    const aborted = new Promise<never>((_, reject) =>
      controller.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }),
    );
    aborted.catch(() => undefined);
    const [pinned] = await Promise.race([resolving, aborted]);
    if (!pinned) throw new RefusedDestination(`${target.hostname} does not resolve to any address`);
    const statusCode = await new Promise<number>((resolve, reject) => {
      const request = client.request(
        target,
        {
          method: 'POST',
          agent: false,
          signal: controller.signal,
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          // the one address resolved and checked above, whatever the resolver would answer now
          lookup: ((_host: string, opts: { all?: boolean }, callback: (...args: unknown[]) => void) => {
            if (opts?.all) callback(null, [pinned]);
            else callback(null, pinned.address, pinned.family);
          }) as unknown as net.LookupFunction,
        },
        (response) => {
          resolve(response.statusCode ?? 0);
          response.resume();
          request.destroy();
        },
      );
      request.on('socket', (socket) => {
        socket.once('connect', () => {
          const address = socket.remoteAddress ?? '';
          const kind = options.allowPrivate ? null : specialPurpose(address);
          if (kind) request.destroy(refusal(target.hostname.replace(/^\[|\]$/g, ''), address, kind));
        });
      });
      request.on('error', reject);
      request.end(body);
    });
    if (statusCode >= 300 && statusCode < 400) {
      return { statusCode, durationMs: took(), error: `answered ${statusCode}, a redirect, which is not followed` };
    }
    if (statusCode < 200 || statusCode >= 300) {
      return { statusCode, durationMs: took(), error: `answered ${statusCode}` };
    }
    return { statusCode, durationMs: took(), error: null };
  } catch (err) {
    const error = controller.signal.aborted ? `no answer within ${options.timeoutMs} ms` : describeError(err);
    return { statusCode: null, durationMs: took(), error };
  } finally {
    clearTimeout(timer);
  }
}
