import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/lib/net';

// npm run dev on a fresh data directory, as a developer runs it: nothing set but PORT and DATA_DIR
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gitweave-dev-'));
// as root, the embedded Postgres runs as the postgres user, which must reach the data directory
fs.chmodSync(work, 0o755);
const dataDir = path.join(work, 'data');
let child: ChildProcess | undefined;
let output = '';

afterAll(async () => {
  if (child?.pid && child.exitCode === null) {
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    process.kill(-child.pid, 'SIGTERM'); // npm, the script and serverless-offline: the group it leads
    await exited;
  }
  fs.rmSync(work, { recursive: true, force: true });
}, 60_000);

async function answering(url: string, deadlineMs: number): Promise<boolean> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (child?.exitCode !== null) return false;
    const ok = await fetch(url, { signal: AbortSignal.timeout(2000) })
      .then((res) => res.status === 200)
      .catch(() => false);
    if (ok) return true;
    await sleep(300);
  }
  return false;
}

describe('npm run dev', () => {
  it('prepares the database as npm start does, then serves the functions through serverless-offline on PORT', async () => {
    const port = await freePort();
    const { DATABASE_URL: _database, ARTIFACTS_DIR: _artifacts, ...inherited } = process.env;
    child = spawn('npm', ['run', 'dev'], {
      detached: true,
      stdio: 'pipe',
      env: {
        ...inherited,
        PORT: String(port),
        DATA_DIR: dataDir,
        EMBEDDED_PG_PORT: String(await freePort()),
        SLS_LOG_LEVEL: 'warning',
      },
    });
    for (const stream of [child.stdout, child.stderr]) {
      stream?.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
      });
    }
    const api = `http://127.0.0.1:${port}/api/v1`;
    expect(await answering(`${api}/health`, 480_000), output).toBe(true);
    expect(output).toContain(`initialising an embedded Postgres in ${path.join(dataDir, 'postgres')}`);
    expect(output).toContain('first start: created org "default"');

    const { token, repoId } = JSON.parse(fs.readFileSync(path.join(dataDir, 'bootstrap.json'), 'utf8')) as {
      token: string;
      repoId: string;
    };
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const created = await fetch(`${api}/repos/${repoId}/releases`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ version: '1.0.0', notes: 'through the emulator' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const read = await fetch(`${api}/repos/${repoId}/releases/${id}`, { headers });
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ id, repoId, version: '1.0.0', notes: 'through the emulator' });
  }, 600_000);
});
