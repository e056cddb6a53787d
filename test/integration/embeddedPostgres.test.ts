import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { passwordFileOf } from '../../scripts/lib/clusterPassword';
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
  fs.rmSync(`${dataDir}.password`, { force: true });
});

describe('the embedded Postgres', () => {
  it('adopts the server a SIGKILLed process left running, and stops it when done', { timeout: 180_000 }, async () => {
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

  it('starts again on the same directory after a clean stop', { timeout: 180_000 }, async () => {
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

/** What a login to the cluster on `port` as postgres with `password` gets: 'ok', or the error's SQLSTATE. */
async function loginAs(port: number, password: string): Promise<string> {
  const client = new pg.Client({
    connectionString: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
  });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function pidOf(dir: string): number | null {
  const file = path.join(dir, 'postmaster.pid');
  return fs.existsSync(file) ? Number(fs.readFileSync(file, 'utf8').split('\n')[0]) : null;
}

interface Child {
  url: string;
  output: string[];
  exited: Promise<number | null>;
  child: ReturnType<typeof spawn>;
}

/** test/helpers/embeddedChild.ts on `dir` and `port`, once it printed its URL. */
async function embeddedChild(dir: string, port: number, mode: 'wait' | 'once'): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/embeddedChild.ts', dir, String(port), mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stderr.on('data', (chunk: Buffer) => output.push(...chunk.toString().split('\n').filter(Boolean)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      const match = /ready (\S+)/.exec(chunk.toString());
      if (match) resolve(match[1] as string);
    });
    void exited.then((code) => reject(new Error(`child exited with ${code}: ${output.join(' / ')}`)));
  });
  return { url, output, exited, child };
}

describe('a closed embedded database', () => {
  const dirs: string[] = [];
  const started: { stop(): Promise<void> }[] = [];
  const newDir = () => {
    const dir = path.join('data', `test-closed-${randomBytes(4).toString('hex')}`);
    dirs.push(dir);
    return dir;
  };
  afterAll(async () => {
    for (const database of started) await database.stop().catch(() => undefined);
    for (const dir of dirs) {
      const pid = pidOf(dir);
      if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
      for (const suffix of ['.owner', '.password', '.password.new']) fs.rmSync(`${dir}${suffix}`, { force: true });
    }
  });

  it('is made with a random password kept with mode 0600 beside it, and refuses the old fixed one', {
    timeout: 180_000,
  }, async () => {
    const dir = newDir();
    const port = await freePort();
    const database = await startEmbedded({ dataDir: dir, port, database: 'closed', fast: true });
    started.push(database);
    const file = passwordFileOf(dir);
    expect(file).toBe(path.resolve(`${dir}.password`));
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const password = fs.readFileSync(file, 'utf8').trim();
    expect(password).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new URL(database.url).password).toBe(password);
    expect(await loginAs(port, password)).toBe('ok');
    expect(await loginAs(port, 'gitweave')).toBe('28P01');
    // and no line of pg_hba.conf lets anyone in without a password
    const hba = fs
      .readFileSync(path.join(dir, 'pg_hba.conf'), 'utf8')
      .split('\n')
      .filter((line) => line.trim() && !line.trim().startsWith('#'));
    expect(hba.length).toBeGreaterThan(0);
    for (const line of hba) expect(line.trim().split(/\s+/).at(-1)).toBe('scram-sha-256');
    // no password file was left behind by initdb
    expect(fs.readdirSync('data').filter((name) => name.startsWith(`${path.basename(dir)}.init`))).toEqual([]);
    await database.stop();
  });

  it('moves a cluster that has the old fixed password over on its next start: the old one is refused from then on', {
    timeout: 180_000,
  }, async () => {
    const dir = newDir();
    const port = await freePort();
    // a cluster as the previous version left it: password "gitweave", no password file
    const first = await startEmbedded({ dataDir: dir, port, database: 'legacy', fast: true });
    const client = new pg.Client({ connectionString: first.url });
    await client.connect();
    await client.query("ALTER ROLE postgres PASSWORD 'gitweave'");
    await client.query('CREATE TABLE kept (id int)');
    await client.query('INSERT INTO kept VALUES (42)');
    await client.end();
    await first.stop();
    fs.rmSync(passwordFileOf(dir));
    fs.rmSync(`${dir}.owner`, { force: true });

    const lines: string[] = [];
    const again = await startEmbedded({
      dataDir: dir,
      port,
      database: 'legacy',
      fast: true,
      log: (l) => lines.push(l),
    });
    started.push(again);
    expect(lines).toContain(
      `the embedded Postgres has a password of its own now (kept in ${passwordFileOf(dir)}); the old one is refused`,
    );
    expect(fs.statSync(passwordFileOf(dir)).mode & 0o777).toBe(0o600);
    const password = fs.readFileSync(passwordFileOf(dir), 'utf8').trim();
    expect(password).not.toBe('gitweave');
    expect(await loginAs(port, 'gitweave')).toBe('28P01');
    expect(await loginAs(port, password)).toBe('ok');
    const reader = new pg.Client({ connectionString: again.url });
    await reader.connect();
    expect((await reader.query('SELECT id FROM kept')).rows).toEqual([{ id: 42 }]);
    await reader.end();
    await again.stop();

    // the file lost: the cluster is not opened with the old password again, and the message says what is missing
    fs.rmSync(passwordFileOf(dir));
    const lost = startEmbedded({ dataDir: dir, port, database: 'legacy', fast: true });
    await expect(lost).rejects.toThrow(
      `The embedded Postgres has a password of its own, and ${passwordFileOf(dir)}, which keeps it, is missing`,
    );
  });

  it('has one owner: a second process with another EMBEDDED_PG_PORT uses the running server on its port and stops nothing', {
    timeout: 180_000,
  }, async () => {
    const dir = newDir();
    const port = await freePort();
    const owner = await embeddedChild(dir, port, 'wait');
    const postmaster = pidOf(dir);
    expect(postmaster && isAlive(postmaster)).toBe(true);

    const otherPort = await freePort();
    const second = await embeddedChild(dir, otherPort, 'once');
    expect(await second.exited).toBe(0);
    expect(new URL(second.url).port).toBe(String(port));
    expect(second.output).toContain(
      `the embedded Postgres of ${path.resolve(dir)} already runs on port ${port} (pid ${postmaster}): using it there`,
    );
    // the owner's server runs on, on its port; nothing was started on the other
    expect(pidOf(dir)).toBe(postmaster);
    expect(isAlive(postmaster!)).toBe(true);
    const client = new pg.Client({ connectionString: owner.url });
    await client.connect();
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await client.end();
    (await listen(otherPort)).close(); // free: nothing listens there

    owner.child.kill('SIGTERM');
    expect(await owner.exited).toBe(0);
    expect(isAlive(postmaster!)).toBe(false);
  });

  it("never touches another data directory's postmaster, even when a stale lock file names it", {
    timeout: 180_000,
  }, async () => {
    const mine = newDir();
    const theirs = newDir();
    const theirPort = await freePort();
    const other = await startEmbedded({ dataDir: theirs, port: theirPort, database: 'theirs', fast: true });
    started.push(other);
    const theirPid = pidOf(theirs)!;
    // a cluster of mine, stopped, whose lock file was left naming the other's postmaster (a reused pid)
    const myPort = await freePort();
    await (await startEmbedded({ dataDir: mine, port: myPort, database: 'mine', fast: true })).stop();
    fs.copyFileSync(path.join(theirs, 'postmaster.pid'), path.join(mine, 'postmaster.pid'));

    const database = await startEmbedded({ dataDir: mine, port: myPort, database: 'mine', fast: true });
    expect(new URL(database.url).port).toBe(String(myPort));
    expect(pidOf(mine)).not.toBe(theirPid);
    await database.stop();
    expect(isAlive(theirPid)).toBe(true);
    expect(await loginAs(theirPort, fs.readFileSync(passwordFileOf(theirs), 'utf8').trim())).toBe('ok');
    await other.stop();
  });
});
