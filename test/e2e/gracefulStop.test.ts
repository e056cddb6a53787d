import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import createConnectionPool from '@databases/pg';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createOrg, createRepo, createUser } from '../../lib/domain/orgs';
import { startEmbedded } from '../../scripts/lib/database';
import { migrate } from '../../scripts/lib/migrate';
import { freePort } from '../../scripts/lib/net';
import { serve } from '../../scripts/lib/serve';

const ROOT = path.join(import.meta.dirname, '..', '..');

// npm start on a database of this test's own that already has an org, so that it bootstraps nothing
const name = `gw_stop_${randomBytes(4).toString('hex')}`;
let url = '';
let token = '';
let repoId = '';
let quietRepoId = '';

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
  // a repo where nothing happens: its feed's long-polling reader can only be answered by the stop
  quietRepoId = (await createRepo(pool, org.slug, 'quiet')).id;
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
  it('stops on a SIGINT to the npm process alone, after answering the upload it was receiving', {
    timeout: 90_000,
  }, async () => {
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

    // a reader of the feed waiting up to 30 s for an event that will not come: the stop answers it at once
    let signalled = 0;
    const reader = fetch(`http://127.0.0.1:${port}/api/v1/repos/${quietRepoId}/events?after=now&wait=30`, {
      headers: { authorization: `Bearer ${token}` },
    }).then(async (response) => ({
      status: response.status,
      body: (await response.json()) as { items: unknown[] },
      at: Date.now(),
    }));
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
        signalled = Date.now();
        setTimeout(() => request.end(body.subarray(body.length / 2)), 300);
      });
    });
    const { status, text } = await answer;
    expect(status).toBe(201);
    expect(JSON.parse(text)).toMatchObject({ name: 'inflight.bin', sizeBytes: body.length });
    // a requested stop that went well is a success, for npm and the process manager above it
    expect(await exited).toBe(0);
    // the waiting reader got an empty page from the stop, long before its 30 s (a generous bound: the stop does not
    // wait for it; were it to, the answer would come at the wait's end)
    const read = await reader;
    expect(read.status).toBe(200);
    expect(read.body.items).toEqual([]);
    expect(read.at - signalled).toBeLessThan(20_000);
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

/** How one request of the load ended. */
interface Outcome {
  name: string;
  /** the version a release write created */
  version?: string;
  /** it went on a connection that had already carried an answer: one the server had accepted */
  reused: boolean;
  /** ended after the SIGTERM was sent */
  endedAfterSignal?: boolean;
  /** sent before the SIGTERM, ended after it: in flight when the signal came */
  straddled?: boolean;
  /** the status, when a whole answer came back */
  status?: number;
  /** some of an answer came back before the connection failed */
  partial: boolean;
  /** how the connection failed (ECONNREFUSED, ECONNRESET, socket hang up, ...) */
  error?: string;
  body?: string;
}

interface Request {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  version?: string;
}

interface Access {
  port: number;
  token: string;
  repoId: string;
}

/** One request on `agent` (a keep-alive pool), or on a new connection of its own (`agent` false). */
function send(to: Access, agent: http.Agent | false, request: Request): Promise<Outcome> {
  return new Promise((resolve) => {
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    const outcome: Outcome = {
      name: request.name,
      ...(request.version ? { version: request.version } : {}),
      reused: false,
      partial: false,
    };
    const req = http.request({
      host: '127.0.0.1',
      port: to.port,
      method: request.method,
      path: `/api/v1${request.path}`,
      agent,
      headers: {
        authorization: `Bearer ${to.token}`,
        ...(body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}),
      },
    });
    req.on('socket', () => {
      outcome.reused = req.reusedSocket;
    });
    req.on('response', (response) => {
      outcome.partial = true;
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () => resolve({ ...outcome, status: response.statusCode ?? 0, body: text }));
      response.on('error', (err: NodeJS.ErrnoException) => resolve({ ...outcome, error: err.code ?? err.message }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ ...outcome, error: err.code ?? err.message }));
    req.end(body);
  });
}

/** A new connection to `port`, closed at once: whether it was taken or refused. */
function connect(port: number): Promise<'connected' | 'refused'> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) =>
      err.code === 'ECONNREFUSED' ? resolve('refused') : reject(err),
    );
  });
}

/** The versions of the releases in the database at `databaseUrl`. */
async function versionsIn(databaseUrl: string): Promise<Set<string>> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    return new Set((await db.query<{ version: string }>('SELECT version FROM releases')).rows.map((r) => r.version));
  } finally {
    await db.end();
  }
}

/** The lines a child process writes to stdout, as they come. */
function linesOf(child: ChildProcess): string[] {
  const lines: string[] = [];
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean)));
  child.stderr?.resume();
  return lines;
}

/**
 * An upload the server is in the middle of receiving: its headers answered with 100 Continue (so the server has the
 * request), half of its body sent. `finish()` sends the rest and gives the answer.
 */
async function startUpload(to: Access, fileName: string) {
  const body = Buffer.alloc(1024 * 1024, 7);
  const req = http.request({
    host: '127.0.0.1',
    port: to.port,
    method: 'POST',
    path: `/api/v1/repos/${to.repoId}/artifacts?name=${fileName}`,
    agent: false,
    headers: {
      authorization: `Bearer ${to.token}`,
      'content-type': 'application/octet-stream',
      'content-length': body.length,
      expect: '100-continue',
    },
  });
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
  });
  await new Promise<void>((resolve) =>
    req.once('continue', () => req.write(body.subarray(0, body.length / 2), () => resolve())),
  );
  return {
    size: body.length,
    finish: () => {
      req.end(body.subarray(body.length / 2));
      return answer;
    },
  };
}

/**
 * Loads the server at `to` with reads and writes, sends it SIGTERM mid-load while it is receiving an upload, and
 * checks what a graceful stop promises: every request it accepted answered, new connections refused while it
 * finishes, an exit with code 0. `afterExit` checks what the test's setup owes after the exit, given the lines the
 * process printed, and gives the versions of the releases in the database.
 */
async function stopUnderLoad(to: Access, child: ChildProcess, afterExit: (output: string[]) => Promise<Set<string>>) {
  const output = linesOf(child);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    // 'close': exited, and its output read to the end
    child.once('close', (code) => {
      exitCode = code;
      resolve(code);
    }),
  );
  const created = await send(to, false, {
    name: 'setup',
    method: 'POST',
    path: `/repos/${to.repoId}/releases`,
    body: { version: '1.0.0' },
  });
  expect(created.status).toBe(201);
  const releaseId = (JSON.parse(created.body ?? '{}') as { id: string }).id;
  const environments = await send(to, false, {
    name: 'setup',
    method: 'GET',
    path: `/repos/${to.repoId}/environments`,
  });
  const devId = (JSON.parse(environments.body ?? '{}') as { items: Array<{ id: string; name: string }> }).items.find(
    (env) => env.name === 'dev',
  )?.id;
  expect(devId).toBeDefined();

  // the load: reads and writes in turn, from 16 workers on kept-alive connections and 8 that open a connection per
  // request, each sending its next request as soon as its last one ended, until the process is gone
  let signalled = false;
  const outcomes: Outcome[] = [];
  let sent = 0;
  const next = (): Request => {
    const n = sent++;
    const path = `/repos/${to.repoId}/releases`;
    if (n % 4 === 0) return { name: 'listReleases', method: 'GET', path: `${path}?limit=5` };
    if (n % 4 === 1)
      return { name: 'createRelease', method: 'POST', path, body: { version: `2.0.${n}` }, version: `2.0.${n}` };
    if (n % 4 === 2) return { name: 'getRelease', method: 'GET', path: `${path}/${releaseId}` };
    return {
      name: 'createDeployment',
      method: 'POST',
      path: `${path}/${releaseId}/deployments`,
      body: { environmentId: devId },
    };
  };
  const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const worker = async (agent: http.Agent | false) => {
    while (exitCode === undefined) {
      const before = !signalled;
      const outcome = await send(to, agent, next());
      outcomes.push({ ...outcome, endedAfterSignal: signalled, straddled: before && signalled });
      // refused once, refused again until the process is gone: no need to spin
      if (outcome.error === 'ECONNREFUSED') await sleep(20);
    }
  };
  const workers = [
    ...Array.from({ length: 16 }, () => worker(keepAlive)),
    ...Array.from({ length: 8 }, () => worker(false)),
  ];

  // an upload the server is receiving when the signal comes: its headers answered with 100 Continue (the server is
  // in the request), half its body sent; it keeps the server stopping, not stopped, until the rest is sent
  const upload = await startUpload(to, 'stop-under-load.bin');
  // mid-load: a few hundred answers behind the workers, every one of them with a request out
  await until(async () => outcomes.filter((o) => o.status !== undefined).length >= 200, 60_000);
  signalled = true;
  child.kill('SIGTERM');

  // new connections are refused (ours, and the load's) while the server is still finishing the upload
  await until(async () => (await connect(to.port)) === 'refused', 30_000);
  await until(async () => outcomes.some((o) => o.error === 'ECONNREFUSED'), 30_000);
  expect(exitCode).toBeUndefined();
  const answer = await upload.finish();
  expect(answer.status).toBe(201);
  expect(JSON.parse(answer.body)).toMatchObject({ name: 'stop-under-load.bin', sizeBytes: upload.size });
  expect(await exited).toBe(0);
  await Promise.all(workers);
  keepAlive.destroy();

  // Refused before the server accepted it, so no failure: ECONNREFUSED, and the reset Linux sends a connection
  // still queued on the listening socket when the signal closes it (a request on a connection of its own that got
  // a reset and no byte back, after the signal, and whose write, for a release, did not happen). Every other
  // request was accepted and is owed a whole answer: one on a connection that had carried an answer before, one
  // that got part of an answer, a write that happened, anything before the signal.
  const versions = await afterExit(output);
  const refused = outcomes.filter((o) => o.error === 'ECONNREFUSED');
  const unaccepted = outcomes.filter(
    (o) =>
      (o.error === 'ECONNRESET' || o.error === 'EPIPE') &&
      o.endedAfterSignal &&
      !o.reused &&
      !o.partial &&
      !(o.version && versions.has(o.version)),
  );
  const accepted = outcomes.filter((o) => !refused.includes(o) && !unaccepted.includes(o));
  const failed = accepted.filter((o) => o.status === undefined || o.status >= 300);
  expect(failed).toEqual([]);
  // the load did straddle the stop: requests in flight at the signal were answered after it
  expect(accepted.filter((o) => o.straddled).length).toBeGreaterThan(0);
}

describe('npm start stopping under load', () => {
  it('answers every request it accepted across a SIGTERM mid-load, refuses new connections, closes its pool and exits 0', async () => {
    // the server as npm start --serve-only runs it (scripts/lib/serve), on this test's database
    const server = await serve({
      databaseUrl: url,
      env: { ARTIFACTS_DIR: inject('artifactsDir'), LOG_LEVEL: 'fatal' },
      output: 'pipe',
    });
    const port = Number(new URL(server.url).port);
    await stopUnderLoad({ port, token, repoId }, server.child, async (output) => {
      // each step said once done, in this order
      expect(output.filter((line) => !line.includes('serving the API'))).toEqual([
        '[gitweave] SIGTERM: new connections are refused; answering the requests already taken',
        '[gitweave] stopped serving: every request taken was answered, the database pool is closed',
      ]);
      return versionsIn(url);
    });
    // and no session of the server's is left on its database
    const admin = new pg.Client({ connectionString: inject('databaseUrl') });
    await admin.connect();
    const sessions = async () =>
      Number((await admin.query('SELECT count(*) FROM pg_stat_activity WHERE datname = $1', [name])).rows[0].count);
    await until(async () => (await sessions()) === 0, 30_000).finally(() => admin.end());
  });

  it('does the same with the embedded Postgres it started, and stops that too', { timeout: 300_000 }, async () => {
    // a working directory of its own under ./data (where the embedded Postgres' user can enter too), no DATABASE_URL
    fs.mkdirSync(path.join(ROOT, 'data'), { recursive: true });
    const cwd = fs.mkdtempSync(path.join(ROOT, 'data', 'stop-'));
    fs.chmodSync(cwd, 0o755);
    let child: ChildProcess | undefined;
    try {
      const port = await freePort();
      const pgPort = await freePort();
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        PORT: String(port),
        EMBEDDED_PG_PORT: String(pgPort),
        LOG_LEVEL: 'fatal',
      };
      delete env.DATABASE_URL;
      child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'start.mjs')], {
        cwd,
        env: { ...env, ARTIFACTS_DIR: path.join(cwd, 'artifacts') },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      await until(async () => (await fetch(`http://127.0.0.1:${port}/api/v1/health`)).status === 200, 240_000);
      const first = JSON.parse(fs.readFileSync(path.join(cwd, 'data', 'bootstrap.json'), 'utf8')) as {
        token: string;
        repoId: string;
      };
      await stopUnderLoad({ port, token: first.token, repoId: first.repoId }, child, async (output) => {
        expect(output.slice(-3)).toEqual([
          '[gitweave] SIGTERM: new connections are refused; answering the requests already taken',
          '[gitweave] stopped serving: every request taken was answered, the database pool is closed',
          '[gitweave] the embedded Postgres is stopped',
        ]);
        // the cluster is down: no postmaster, its port refused
        expect(fs.existsSync(path.join(cwd, 'data', 'postgres', 'postmaster.pid'))).toBe(false);
        expect(await connect(pgPort)).toBe('refused');
        // the versions written, from the cluster started again
        const again = await startEmbedded({
          dataDir: path.join(cwd, 'data', 'postgres'),
          port: pgPort,
          database: 'gitweave',
        });
        return versionsIn(again.url).finally(() => again.stop());
      });
    } finally {
      // after a failure midway, the server (and with it its Postgres) is stopped before its directory goes
      if (child && child.exitCode === null) {
        const gone = new Promise((resolve) => child?.once('exit', resolve));
        child.kill('SIGTERM');
        await gone;
      }
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });
});
