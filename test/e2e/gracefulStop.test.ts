import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import createConnectionPool from '@databases/pg';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createOrg, createRepo, createUser } from '../../lib/domain/orgs';
import { migrate } from '../../scripts/lib/migrate';
import { freePort } from '../../scripts/lib/net';

const ROOT = path.join(import.meta.dirname, '..', '..');

// npm start on a database of this test's own that already has an org, so that it bootstraps nothing
const name = `gw_stop_${randomBytes(4).toString('hex')}`;
let url = '';
let token = '';
let repoId = '';

beforeAll(async () => {
  const admin = new pg.Client({ connectionString: inject('databaseUrl') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const target = new URL(inject('databaseUrl'));
  target.pathname = `/${name}`;
  url = target.toString();
  await migrate(url);
  const pool = createConnectionPool({ connectionString: url, bigIntMode: 'number' });
  const org = await createOrg(pool, 'stop');
  repoId = (await createRepo(pool, org.slug, 'app')).id;
  token = (await createUser(pool, 'dev', { orgSlug: org.slug, role: 'developer' })).token;
  await pool.dispose();
});

afterAll(async () => {
  const admin = new pg.Client({ connectionString: inject('databaseUrl') });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
});

async function until(check: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`not within ${ms} ms`);
}

describe('npm start under a process manager', () => {
  it('stops on a SIGINT to the npm process alone, after answering the upload it was receiving', async () => {
    const port = await freePort();
    const npm = spawn('npm', ['start'], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: url,
        PORT: String(port),
        ARTIFACTS_DIR: inject('artifactsDir'),
        LOG_LEVEL: 'fatal',
      },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
    const health = `http://127.0.0.1:${port}/api/v1/health`;
    await until(async () => (await fetch(health)).status === 200, 60_000);

    // an upload in flight: half of its body now, the signal, then the rest
    const body = Buffer.alloc(4 * 1024 * 1024, 7);
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const request = http.request(`http://127.0.0.1:${port}/api/v1/repos/${repoId}/artifacts?name=inflight.bin`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/octet-stream',
          'content-length': body.length,
        },
      });
      request.on('response', (response) => {
        let text = '';
        response.on('data', (chunk) => {
          text += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      });
      request.on('error', reject);
      request.write(body.subarray(0, body.length / 2), () => {
        npm.kill('SIGINT');
        setTimeout(() => request.end(body.subarray(body.length / 2)), 300);
      });
    });
    const { status, text } = await answer;
    expect(status).toBe(201);
    expect(JSON.parse(text)).toMatchObject({ name: 'inflight.bin', sizeBytes: body.length });
    // a requested stop that went well is a success, for npm and the process manager above it
    expect(await exited).toBe(0);
    await expect(fetch(health)).rejects.toThrow();
    // the server is gone, not orphaned: nothing listens on its port any more, and no process runs its script
    const orphans = fs
      .readdirSync('/proc')
      .filter((pid) => /^\d+$/.test(pid))
      .filter((pid) => {
        try {
          const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
          const env = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
          return cmd.includes('scripts/start.mjs') && env.includes(`PORT=${port}\0`);
        } catch {
          return false;
        }
      });
    expect(orphans).toEqual([]);
  });
});
