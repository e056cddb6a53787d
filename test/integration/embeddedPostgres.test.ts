import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbedded } from '../../scripts/lib/database';
import { freePort } from '../../scripts/lib/net';

const dataDir = path.join('data', `test-embedded-${randomBytes(4).toString('hex')}`);

function listen(port = 0): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function postmasterPid(): number | null {
  const file = path.join(dataDir, 'postmaster.pid');
  return fs.existsSync(file) ? Number(fs.readFileSync(file, 'utf8').split('\n')[0]) : null;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterAll(() => {
  const pid = postmasterPid();
  if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(`${dataDir}.owner`, { force: true });
});

describe('the embedded Postgres', () => {
  it('adopts the server a SIGKILLed process left running, and stops it when done', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/embeddedChild.ts', dataDir, String(port)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      child.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const orphan = postmasterPid();
    expect(orphan && isAlive(orphan)).toBe(true);

    const database = await startEmbedded({ dataDir, port, database: 'adopted', fast: true });
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await client.end();
    await database.stop();
    expect(isAlive(orphan!)).toBe(false);
  });

  it('starts again on the same directory after a clean stop', async () => {
    const database = await startEmbedded({ dataDir, port: await freePort(), database: 'again', fast: true });
    await database.stop();
    expect(postmasterPid()).toBeNull();
  });

  it('names the taken port when another program holds it', async () => {
    const squatter = await listen();
    const { port } = squatter.address() as net.AddressInfo;
    try {
      await expect(startEmbedded({ dataDir, port, database: 'x', fast: true })).rejects.toThrow(
        `Port ${port} is already in use by another program`,
      );
    } finally {
      squatter.close();
    }
  });
});
