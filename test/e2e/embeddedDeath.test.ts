import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/lib/net';

const ROOT = path.join(import.meta.dirname, '..', '..');

async function until(check: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`not within ${ms} ms`);
}

function start(cwd: string, port: number, pgPort: number) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    EMBEDDED_PG_PORT: String(pgPort),
    LOG_LEVEL: 'fatal',
  };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'start.mjs')], {
    cwd,
    env: { ...env, ARTIFACTS_DIR: path.join(cwd, 'artifacts') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(...chunk.toString().split('\n').filter(Boolean)));
  child.stdout?.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stderr, exited };
}

describe('npm start whose embedded Postgres dies', () => {
  it('exits 1 with one line naming the dead postmaster, and serves the same data once started again', {
    timeout: 300_000,
  }, async () => {
    fs.mkdirSync(path.join(ROOT, 'data'), { recursive: true });
    const cwd = fs.mkdtempSync(path.join(ROOT, 'data', 'death-'));
    fs.chmodSync(cwd, 0o755);
    const children: ChildProcess[] = [];
    try {
      const port = await freePort();
      const pgPort = await freePort();
      const first = start(cwd, port, pgPort);
      children.push(first.child);
      const health = async () => (await fetch(`http://127.0.0.1:${port}/api/v1/health`)).status === 200;
      await until(health, 240_000);
      const { token, repoId } = JSON.parse(fs.readFileSync(path.join(cwd, 'data', 'bootstrap.json'), 'utf8')) as {
        token: string;
        repoId: string;
      };
      const dataDir = path.join(cwd, 'data', 'postgres');
      const postmaster = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);

      process.kill(postmaster, 'SIGKILL');
      const code = await Promise.race([first.exited, sleep(15_000).then(() => 'still running')]);
      expect(code).toBe(1);
      expect(first.stderr).toEqual([
        `[gitweave] exiting: the embedded Postgres (pid ${postmaster}, ${fs.realpathSync(dataDir)}) is gone: it stopped or was killed`,
      ]);

      // what a service manager does next: start it again; the cluster recovers and serves what it held
      const second = start(cwd, port, pgPort);
      children.push(second.child);
      await until(health, 120_000);
      const releases = await fetch(`http://127.0.0.1:${port}/api/v1/repos/${repoId}/releases`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(releases.status).toBe(200);
      const stopped = second.exited;
      second.child.kill('SIGTERM');
      expect(await stopped).toBe(0);
    } finally {
      for (const child of children) {
        if (child.exitCode === null && child.signalCode === null) {
          const gone = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGTERM');
          await gone;
        }
      }
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });
});
