import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { GUARD } from '../helpers/loopbackGuardSetup';

// The run's guard (test/helpers/loopbackGuard.mjs) refuses whatever would leave loopback. Its own refusals are shown
// in a child inside a network namespace of its own (unshare -n, loopback only): were the guard broken, its connection
// attempts would find no route out of the machine, so this test cannot send anything off it either.
const run = promisify(execFile);

const CHILD = `
import dns from 'node:dns';
import net from 'node:net';
const outcome = (socket) => new Promise((resolve) => {
  socket.on('error', (err) => resolve(err.code));
  socket.on('connect', () => { socket.destroy(); resolve('connected'); });
});
const lookup = (_host, options, callback) =>
  options?.all ? callback(null, [{ address: '192.0.2.1', family: 4 }]) : callback(null, '192.0.2.1', 4);
const results = {
  literal: await outcome(net.connect({ host: '192.0.2.1', port: 9 })),
  mapped: await outcome(net.connect({ host: '::ffff:192.0.2.1', port: 9 })),
  resolvedOutside: await outcome(net.connect({ host: 'gateway.example', port: 9, lookup })),
  name: await new Promise((resolve) => dns.lookup('gitweave.example', (err) => resolve(err?.reason ?? 'resolved'))),
  namePromise: await dns.promises.lookup('gitweave.example').then(() => 'resolved', (err) => err.reason),
  loopback: await outcome(net.connect({ host: '127.0.0.1', port: 9 })),
  localhost: await outcome(net.connect({ host: 'localhost', port: 9 })),
};
console.log(JSON.stringify(results));
`;

describe('the loopback guard of the test run', () => {
  it('is loaded in this process and handed to every Node process the run starts', () => {
    expect(process.env.NODE_OPTIONS).toContain(`--import=${GUARD}`);
    expect(net.Socket.prototype.connect.name).toBe('guardedConnect');
    expect(fs.existsSync(process.env.LOOPBACK_GUARD_LOG ?? '')).toBe(true);
  });

  it('refuses connections and name lookups outside loopback before anything is sent, and logs each', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guard-test-'));
    const log = path.join(dir, 'violations.log');
    const script = path.join(dir, 'child.mjs');
    fs.writeFileSync(script, CHILD);
    try {
      const { stdout } = await run(
        'unshare',
        ['--net', 'sh', '-c', 'ip link set lo up && exec "$0" "$1"', process.execPath, script],
        { env: { ...process.env, LOOPBACK_GUARD_LOG: log, NODE_OPTIONS: `--import=${GUARD}` } },
      );
      expect(JSON.parse(stdout)).toEqual({
        literal: 'ELOOPBACKONLY',
        mapped: 'ELOOPBACKONLY',
        resolvedOutside: 'ELOOPBACKONLY',
        name: 'ELOOPBACKONLY',
        namePromise: 'ELOOPBACKONLY',
        // nothing listens on port 9 of loopback: the attempt is made, and refused by the kernel, not the guard
        loopback: 'ECONNREFUSED',
        localhost: 'ECONNREFUSED',
      });
      const lines = fs
        .readFileSync(log, 'utf8')
        .split('\n')
        .filter((line) => /^\d{4}-/.test(line));
      expect(lines.map((line) => line.replace(/^\S+ pid \d+ /, ''))).toEqual([
        'connect to: 192.0.2.1:9',
        'connect to: ::ffff:192.0.2.1:9',
        'connect to: gateway.example (192.0.2.1)',
        'name lookup of: gitweave.example',
        'name lookup of: gitweave.example',
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
