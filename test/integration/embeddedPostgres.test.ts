import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
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

describe('the embedded Postgres anywhere', () => {
  const isRoot = process.getuid?.() === 0;

  /** Runs `fn` and returns the uncaught exceptions the process saw meanwhile (an unhandled 'error' event is one). */
  async function uncaughtDuring(fn: () => Promise<void>): Promise<unknown[]> {
    const seen: unknown[] = [];
    const record = (err: unknown) => seen.push(err);
    process.on('uncaughtException', record);
    try {
      await fn();
      // a spawn failure is emitted on a later tick than the call that spawned
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('uncaughtException', record);
    }
    return seen;
  }

  it('under a 0700 folder refuses as root in one line naming the folder the postgres user cannot enter and the fixes, with no unhandled error; as another user it starts', async () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'gitweave-private-'));
    fs.chmodSync(parent, 0o700);
    try {
      const dataDir = path.join(parent, 'pg');
      const uncaught = await uncaughtDuring(async () => {
        const attempt = startEmbedded({ dataDir, port: await freePort(), database: 'x', fast: true });
        if (isRoot) {
          await expect(attempt).rejects.toThrow(
            new Error(
              `The embedded Postgres runs as the system user "postgres" (Postgres refuses to run as root), who cannot enter ${parent} (mode 0700, owner uid 0): move the checkout (and the data directory) where that user can reach them, run \`chmod o+x ${parent}\`, or set DATABASE_URL to a Postgres you run.`,
            ),
          );
        } else {
          await (await attempt).stop();
        }
      });
      expect(uncaught).toEqual([]);
    } finally {
      fs.rmSync(parent, { recursive: true, force: true });
    }
  });

  it('refuses a data directory that belongs to another user, naming the owner and the fix', async () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'gitweave-owned-'));
    fs.chmodSync(parent, 0o755);
    try {
      // as root: a cluster handed to nobody; as another user: a folder root owns
      const dataDir = isRoot ? path.join(parent, 'pg') : path.parse(parent).root;
      if (isRoot) {
        fs.mkdirSync(dataDir, { mode: 0o700 });
        fs.writeFileSync(path.join(dataDir, 'PG_VERSION'), '17\n');
        fs.chownSync(dataDir, 65534, 65534);
      }
      const runsAs = isRoot ? 'postgres' : os.userInfo().username;
      await expect(startEmbedded({ dataDir, port: await freePort(), database: 'x', fast: true })).rejects.toThrow(
        new Error(
          `The embedded Postgres data directory ${dataDir} belongs to user ${isRoot ? 'nobody' : 'root'}, but the embedded Postgres runs as ${runsAs}: run \`chown -R ${runsAs} ${dataDir}\`, move it away to start afresh, or set DATABASE_URL to a Postgres you run.`,
        ),
      );
    } finally {
      fs.rmSync(parent, { recursive: true, force: true });
    }
  });
});
