// Loaded into every Node process of a test run (NODE_OPTIONS=--import, set by test/helpers/loopbackGuardSetup.ts):
// the tests may reach loopback only. A TCP connection to any other address is refused before it is attempted (an IP
// literal) or right after its name resolves (before the connection is made), a name that is not local is never sent
// to a resolver, and each of these is written to LOOPBACK_GUARD_LOG, which the run's teardown reads: one line there
// fails the run, whoever caught the error the guard threw. Plain JavaScript, so that any Node process can load it.
import dns from 'node:dns';
import fs from 'node:fs';
import net from 'node:net';

const GUARDED = Symbol.for('gitweave.loopbackGuard');
const LOCAL_NAMES = new Set(['localhost', 'localhost.', 'ip6-localhost', 'ip6-loopback']);

/** True for 127.0.0.0/8, ::1 and the IPv4-mapped form of 127.0.0.0/8: the addresses a test may connect to. */
export function isLoopback(address) {
  const bare = String(address)
    .replace(/^\[|\]$/g, '')
    .toLowerCase();
  const family = net.isIP(bare);
  if (family === 4) return bare.startsWith('127.');
  if (family === 6) {
    if (/^::ffff:127\.\d+\.\d+\.\d+$/.test(bare)) return true;
    const groups = bare.split('::');
    return (
      bare === '::1' ||
      (groups.length === 1 && bare.split(':').every((g, i) => Number.parseInt(g, 16) === (i === 7 ? 1 : 0)))
    );
  }
  return false;
}

/** True for a name the resolver is never asked about: localhost and the IP literals. */
export function isLocalName(host) {
  const bare = String(host)
    .replace(/^\[|\]$/g, '')
    .toLowerCase();
  return LOCAL_NAMES.has(bare) || bare.endsWith('.localhost') || net.isIP(bare) !== 0;
}

function violation(what, detail) {
  const line = `${new Date().toISOString()} pid ${process.pid} ${what}: ${detail}\n${new Error().stack?.split('\n').slice(2, 8).join('\n')}\n`;
  const log = process.env.LOOPBACK_GUARD_LOG;
  if (log) fs.appendFileSync(log, line);
  const err = new Error(`loopback guard: ${what} ${detail} (tests reach 127.0.0.0/8 and ::1 only)`);
  err.code = 'ELOOPBACKONLY';
  return err;
}

function firstOptions(args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (first !== null && typeof first === 'object') return first;
  // connect(port[, host]) or connect(path)
  if (typeof first === 'string' && !/^\d+$/.test(first)) return { path: first };
  return { port: first, host: typeof args[1] === 'string' ? args[1] : undefined };
}

if (!globalThis[GUARDED]) {
  globalThis[GUARDED] = true;

  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function guardedConnect(...args) {
    const options = firstOptions(args);
    if (options.path == null) {
      const host = options.host ?? 'localhost';
      if (net.isIP(String(host).replace(/^\[|\]$/g, '')) && !isLoopback(host)) {
        const err = violation('connect to', `${host}:${options.port}`);
        process.nextTick(() => this.destroy(err));
        return this;
      }
      // a name resolved to an address outside loopback (a custom lookup can answer anything): destroyed before the
      // connection is attempted, since net only connects while the socket is still connecting
      this.on('lookup', (err, address) => {
        if (!err && address && !isLoopback(address)) this.destroy(violation('connect to', `${host} (${address})`));
      });
      this.once('connect', () => {
        if (this.remoteAddress && !isLoopback(this.remoteAddress)) {
          this.destroy(violation('connected to', `${this.remoteAddress}:${this.remotePort}`));
        }
      });
    }
    return connect.apply(this, args);
  };

  const lookup = dns.lookup;
  dns.lookup = function guardedLookup(hostname, options, callback) {
    if (!isLocalName(hostname)) {
      const done = typeof options === 'function' ? options : callback;
      const err = violation('name lookup of', hostname);
      err.code = 'ENOTFOUND';
      err.reason = 'ELOOPBACKONLY';
      process.nextTick(() => done(err));
      return {};
    }
    return lookup.call(this, hostname, options, callback);
  };
  const lookupPromise = dns.promises.lookup;
  dns.promises.lookup = function guardedLookupPromise(hostname, options) {
    if (!isLocalName(hostname)) {
      const err = violation('name lookup of', hostname);
      err.code = 'ENOTFOUND';
      err.reason = 'ELOOPBACKONLY';
      return Promise.reject(err);
    }
    return lookupPromise.call(this, hostname, options);
  };
}
