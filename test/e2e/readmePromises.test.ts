import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { sql } from '@databases/pg';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { serve } from '../../scripts/lib/serve';
import { startTcpProxy } from '../helpers/tcpProxy';
import { useWorld } from '../helpers/world';

// README promises that only a whole process shows: the bootstrap file's mode, the health check over HTTP when the
// database is away, and the CLI's retries under one Idempotency-Key.
const ROOT = path.join(import.meta.dirname, '..', '..');
const exec = promisify(execFile);
const { pool, world } = useWorld();
const scratch: string[] = [];
const databases: string[] = [];

async function freshDatabase(): Promise<string> {
  const name = `gw_readme_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: inject('databaseUrl') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  databases.push(name);
  const url = new URL(inject('databaseUrl'));
  url.pathname = `/${name}`;
  return url.toString();
}

afterAll(async () => {
  for (const dir of scratch) fs.rmSync(dir, { recursive: true, force: true });
  const admin = new pg.Client({ connectionString: inject('databaseUrl') });
  await admin.connect();
  for (const name of databases) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
});

describe('README promises over whole processes', () => {
  it('npm start on an empty database writes data/bootstrap.json with the admin token, readable by its owner only (0600)', async () => {
    // a working directory of its own (under ./data, where the embedded Postgres' user could enter too)
    fs.mkdirSync(path.join(ROOT, 'data'), { recursive: true });
    const cwd = fs.mkdtempSync(path.join(ROOT, 'data', 'readme-'));
    scratch.push(cwd);
    const start = spawn(process.execPath, [path.join(ROOT, 'scripts', 'start.mjs')], {
      cwd,
      env: { ...process.env, DATABASE_URL: await freshDatabase(), PORT: '0', LOG_LEVEL: 'fatal' },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => start.once('exit', resolve));
    const file = path.join(cwd, 'data', 'bootstrap.json');
    for (let i = 0; i < 300 && !fs.existsSync(file); i++) await sleep(100);
    start.kill('SIGTERM');
    await exited;
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toMatchObject({ token: expect.stringMatching(/^gwr_/) });
  });

  it('GET /health answers 503 problem+json with Retry-After over HTTP while the database is away, then 200', async () => {
    const proxy = await startTcpProxy(inject('databaseUrl'));
    const server = await serve({
      databaseUrl: proxy.url,
      env: { ARTIFACTS_DIR: inject('artifactsDir'), LOG_LEVEL: 'fatal', DATABASE_TIMEOUT_MS: '500' },
      output: 'ignore',
    });
    try {
      proxy.setMode('refuse');
      const away = await fetch(`${server.url}/health`);
      expect(away.status).toBe(503);
      expect(away.headers.get('content-type')).toBe('application/problem+json');
      expect(away.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await away.json()).toMatchObject({ status: 503, detail: 'The database is unavailable; retry shortly.' });
      proxy.setMode('pass');
      let back = await fetch(`${server.url}/health`);
      for (let i = 0; i < 20 && back.status !== 200; i++) {
        await sleep(100);
        back = await fetch(`${server.url}/health`);
      }
      expect(back.status).toBe(200);
    } finally {
      await server.stop();
      await proxy.close();
    }
  });

  it('the CLI retries a write whose answer was lost with the same Idempotency-Key, so it is written once', async () => {
    // an HTTP hop that lets the first release POST reach the API, then drops the answer on the floor
    const api = new URL(inject('apiUrl'));
    const keys: string[] = [];
    let dropped = false;
    const hop = http.createServer((req, res) => {
      const upstream = http.request(
        { host: api.hostname, port: api.port, path: req.url, method: req.method, headers: req.headers },
        (answer) => {
          if (req.method === 'POST' && req.url?.endsWith('/releases') && !dropped) {
            dropped = true;
            answer.resume();
            answer.on('end', () => req.socket.destroy());
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      if (req.method === 'POST') keys.push(String(req.headers['idempotency-key']));
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => hop.listen(0, '127.0.0.1', resolve));
    try {
      const { stdout } = await exec(
        process.execPath,
        ['bin/gitweave-release.mjs', 'release', 'create', world.repo.id, '4.2.0', '--json'],
        {
          cwd: ROOT,
          env: {
            ...process.env,
            GITWEAVE_URL: `http://127.0.0.1:${(hop.address() as AddressInfo).port}`,
            GITWEAVE_TOKEN: world.developer.token,
          },
        },
      );
      expect(JSON.parse(stdout)).toMatchObject({ version: '4.2.0' });
      expect(dropped).toBe(true);
      expect(keys.length).toBe(2);
      expect(keys[0]).toMatch(/\S/);
      expect(keys[1]).toBe(keys[0]);
      const rows = await pool.query(
        sql`SELECT count(*)::int AS n FROM releases WHERE repo_id = ${world.repo.id} AND version = '4.2.0'`,
      );
      expect(rows).toEqual([{ n: 1 }]);
    } finally {
      await new Promise((resolve) => hop.close(resolve));
    }
  });
});
