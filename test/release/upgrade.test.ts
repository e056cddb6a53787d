import { execFile } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/lib/net';
import { type Receiver, startReceiver } from '../helpers/receiver';
import { installRelease, npm, pack, type Running, runBin, serveRelease } from '../helpers/release';

// An upgrade as a team makes one: the previous release, packed from its commit, runs on a fresh data directory and
// takes data; the new release, installed over the same data directory, migrates it on start and reads it all back.
// The previous release is the first commit that packs (f622003, version 0.1.0; its migrations stop at 0019).
const exec = promisify(execFile);
const ROOT = process.cwd();
const PREVIOUS = 'f6220033e14f67cae83e8f893e41202815cd9be8';
const PREVIOUS_VERSION = '0.1.0';
const { version } = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string };
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gitweave-upgrade-'));
// as root, the embedded Postgres runs as the postgres user, which must reach the data directory
fs.chmodSync(work, 0o755);
const previous = path.join(work, 'previous');
const current = path.join(work, 'current');
const dataDir = path.join(work, 'data');
const SECRET = randomBytes(16).toString('hex');
const PASSWORD_FILE = path.join(work, 'data', 'postgres.password');
/** the one password of every embedded cluster before each got its own */
const LEGACY_PASSWORD = 'gitweave';
let env: NodeJS.ProcessEnv = {};
let base = '';
let server: Running | undefined;
let receiver: Receiver;

/** Each step's time, in the test's log. */
async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await run();
  } finally {
    console.log(`[upgrade] ${name}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
}

interface LockEntry {
  version?: string;
  dev?: boolean;
  [field: string]: unknown;
}

/**
 * Rewrites the lockfile `previous` so that every package it shares with `current` is at `current`'s version (its
 * entry, with where npm found it and its integrity): npm ci of this checkout cached those and only those, and a
 * fresh machine's cache holds nothing else. A package `current` does not have cannot come from the cache: refused.
 * The previous release's own dependencies keep their ranges, so npm ci checks them against the versions given.
 */
function alignLockfile(previous: string, current: string): void {
  const old = JSON.parse(fs.readFileSync(previous, 'utf8')) as { packages: Record<string, LockEntry> };
  const now = (JSON.parse(fs.readFileSync(current, 'utf8')) as { packages: Record<string, LockEntry> }).packages;
  for (const [where, entry] of Object.entries(old.packages)) {
    if (where === '') continue;
    const cached = now[where];
    if (!cached) throw new Error(`${where} is in the previous release's lockfile only: npm's cache cannot have it`);
    // the cached version's entry (its dependencies included), with the place in the tree the previous release gave it
    const { dev, optional, devOptional, peer } = entry;
    if (cached.version !== entry.version) old.packages[where] = { ...cached, dev, optional, devOptional, peer };
  }
  fs.writeFileSync(previous, JSON.stringify(old, null, 2));
}

/** Why nothing could be prepared: each test fails with it (a failing beforeAll would mark them skipped). */
let missing: string | undefined;

beforeAll(async () => {
  // never skipped: a clone without the previous release's commit cannot test an upgrade from it
  const found = await exec('git', ['cat-file', '-e', `${PREVIOUS}^{commit}`], { cwd: ROOT }).then(
    () => true,
    () => false,
  );
  if (!found) {
    missing = `the previous release's commit ${PREVIOUS} is not in this clone's history (a shallow clone?): git fetch --unshallow, then run again`;
    return;
  }
  const source = path.join(work, 'source');
  fs.mkdirSync(source);
  await step(`git archive ${PREVIOUS.slice(0, 7)}`, async () => {
    await exec('git', ['archive', '--format=tar', '-o', path.join(work, 'previous.tar'), PREVIOUS], { cwd: ROOT });
    await exec('tar', ['-xf', path.join(work, 'previous.tar'), '-C', source]);
  });
  // everything from npm's cache (tests never download): its lockfile is this one's less three packages added since,
  // and two transitive patch releases this one moved on from, which it takes from this lockfile, as cached
  await step("the previous release's lockfile, at the versions npm ci of this checkout cached", async () =>
    alignLockfile(path.join(source, 'package-lock.json'), path.join(ROOT, 'package-lock.json')),
  );
  await step('npm ci --offline (previous release)', () =>
    npm(['ci', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], source),
  );
  const old = await step('npm pack (previous release)', () => pack(source, work, { GITWEAVE_COMMIT: PREVIOUS }));
  fs.mkdirSync(previous);
  await step('install --omit=dev (previous release)', () =>
    installRelease(old, previous, path.join(source, 'package-lock.json')),
  );
  // its development install is a thousand packages: gone now rather than in afterAll's time
  await step("rm the previous release's source", () => fs.promises.rm(source, { recursive: true, force: true }));
  const packed = await step('npm pack (this version)', () => pack(ROOT, work));
  fs.mkdirSync(current);
  await step('install --omit=dev (this version)', () =>
    installRelease(packed, current, path.join(ROOT, 'package-lock.json')),
  );
  const { stdout } = await exec('du', ['-sh', current]);
  console.log(`[upgrade] this version installed with --omit=dev: ${stdout.split('\t')[0]}`);
  receiver = await startReceiver();
  const port = await freePort();
  base = `http://127.0.0.1:${port}/api/v1`;
  const { DATABASE_URL: _database, ARTIFACTS_DIR: _artifacts, ...inherited } = process.env;
  env = {
    ...inherited,
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    EMBEDDED_PG_PORT: String(await freePort()),
    // these servers send the webhook's deliveries (the tests' environment turns that off), to a loopback receiver
    WEBHOOK_DELIVERER: 'true',
    WEBHOOK_ALLOW_PRIVATE: 'true',
  };
}, 900_000);

beforeEach(() => {
  if (missing) throw new Error(missing);
});

afterAll(async () => {
  await server?.stop();
  await receiver?.close();
  await fs.promises.rm(work, { recursive: true, force: true });
}, 300_000);

/** A client of the embedded cluster under DATA_DIR, as its password file's `password`. */
function embedded(password: string): pg.Client {
  return new pg.Client({
    connectionString: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${env.EMBEDDED_PG_PORT}/gitweave`,
  });
}

/** 'yes' when the embedded cluster takes `password`, else the SQL state it answered. */
async function login(password: string): Promise<string> {
  const client = embedded(password);
  try {
    await client.connect();
    return 'yes';
  } catch (err) {
    return String((err as { code?: string }).code);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** `count` deliveries at the receiver, or a failure that shows what the server recorded of them. */
async function delivered(count: number) {
  const timer = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), 60_000).unref());
  if ((await Promise.race([receiver.waitFor(count), timer])) !== 'late') return;
  const { body } = await call('GET', `/orgs/acme/webhooks/${written.hook}/deliveries?limit=100`, written.token);
  throw new Error(
    `${receiver.received.length} of ${count} deliveries came in 60 s; the server's: ${JSON.stringify(body)}`,
  );
}

/** Serves the release installed in `dir`, after stopping one a failed test left running. */
async function start(dir: string): Promise<Running> {
  await server?.stop();
  server = await serveRelease(dir, env, Number(env.PORT));
  return server;
}

/** A request to the running server; the parsed body, or the raw bytes with `raw`. */
async function call(method: string, url: string, token: string, body?: unknown) {
  const response = await fetch(`${base}${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

async function ok(method: string, url: string, token: string, body?: unknown) {
  const { status, body: answer } = await call(method, url, token, body);
  expect(status, `${method} ${url}: ${JSON.stringify(answer)}`).toBe(method === 'POST' ? 201 : 200);
  return answer;
}

async function content(repo: string, artifact: string, token: string): Promise<Buffer> {
  const response = await fetch(`${base}/repos/${repo}/artifacts/${artifact}/content`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

/** Removes what changes by reading (a token's lastUsedAt), at any depth. */
function settled(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(settled);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key !== 'lastUsedAt')
        .map(([key, inner]) => [key, settled(inner)]),
    );
  }
  return value;
}

const written = {
  token: '',
  reader: '',
  repo: '',
  hook: '',
  files: new Map<string, Buffer>(),
  deployments: [] as string[],
  releases: [] as string[],
  /** the repo's feed cursor read before the upgrade */
  cursor: '',
  /** every page read before the upgrade, by path: the new release must answer each the same (fields may be added) */
  pages: new Map<string, unknown>(),
};

/** The pages that hold what was written, read with the release manager's token. */
function pages(): string[] {
  const { repo, hook } = written;
  return [
    `/orgs/acme/repos/web`,
    `/repos?limit=100`,
    `/repos/${repo}/releases?limit=100`,
    ...written.releases.map((id) => `/repos/${repo}/releases/${id}`),
    `/repos/${repo}/releases/latest`,
    `/repos/${repo}/artifacts?limit=100`,
    ...[...written.files.keys()].map((id) => `/repos/${repo}/artifacts/${id}`),
    ...written.releases.map((id) => `/repos/${repo}/releases/${id}/deployments`),
    ...written.deployments.map((id) => `/deployments/${id}`),
    `/repos/${repo}/environments/dev/deployments`,
    `/repos/${repo}/events?limit=100`,
    `/repos/${repo}/environments`,
    `/orgs/acme/environments`,
    `/orgs/acme/webhooks`,
    `/orgs/acme/webhooks/${hook}/deliveries?limit=100`,
    `/tokens?limit=100`,
    `/user`,
  ];
}

// each step serves, writes or reads through real processes: minutes on a busy machine
describe(`an upgrade from the previous release (${PREVIOUS.slice(0, 7)}, ${PREVIOUS_VERSION}) over the same data directory`, {
  timeout: 180_000,
}, () => {
  it('the previous release makes an org, a repo and a user with its admin command on a fresh data directory', async () => {
    await step('admin (previous release)', async () => {
      expect(await runBin(previous, 'gitweave-releases', ['admin', 'org', 'create', 'acme'], env)).toMatchObject({
        code: 0,
      });
      expect(
        await runBin(previous, 'gitweave-releases', ['admin', 'repo', 'create', 'acme', 'web'], env),
      ).toMatchObject({ code: 0 });
      const user = await runBin(
        previous,
        'gitweave-releases',
        ['admin', 'user', 'create', 'ada', '--org', 'acme', '--role', 'release_manager'],
        env,
      );
      expect(user).toMatchObject({ code: 0 });
      written.token = (JSON.parse(user.stdout) as { token: string }).token;
    });
    expect(written.token).toMatch(/^gwr_/);
  });

  it('the previous release serves it and takes artifacts, releases, deployments, a webhook and a token', async () => {
    await step('serve (previous release)', () => start(previous));
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok', version: PREVIOUS_VERSION });
    const { token } = written;
    written.repo = (await ok('GET', '/orgs/acme/repos/web', token)).id;
    const hook = await ok('POST', '/orgs/acme/webhooks', token, {
      url: receiver.url,
      events: ['release.created', 'deployment.created'],
      secret: SECRET,
    });
    written.hook = hook.id;
    const cli = { ...env, GITWEAVE_URL: `http://127.0.0.1:${env.PORT}`, GITWEAVE_TOKEN: token };
    const dev = await ok('GET', '/orgs/acme/environments/dev', token);
    await step('write (previous release)', async () => {
      for (const [version, size] of [
        ['1.0.0', 200_000],
        ['1.1.0', 17],
      ] as const) {
        const file = path.join(work, `web-${version}.tgz`);
        fs.writeFileSync(file, randomBytes(size));
        const added = await runBin(
          previous,
          'gitweave-release',
          ['artifact', 'add', file, '--repo', 'acme/web', '--json'],
          cli,
        );
        expect(added).toMatchObject({ code: 0 });
        const artifact = JSON.parse(added.stdout) as { id: string; sizeBytes: number };
        expect(artifact.sizeBytes).toBe(size);
        written.files.set(artifact.id, fs.readFileSync(file));
        const release = await ok('POST', `/repos/${written.repo}/releases`, token, {
          version,
          notes: `# web ${version}`,
          artifactIds: [artifact.id],
        });
        written.releases.push(release.id);
        const deployment = await ok('POST', `/repos/${written.repo}/releases/${release.id}/deployments`, token, {
          environmentId: dev.id,
        });
        written.deployments.push(deployment.id);
      }
      const reader = await ok('POST', '/tokens', token, { name: 'dashboard reads', scopes: ['read'] });
      written.reader = reader.token;
      // two releases and two deployments: four deliveries
      await delivered(4);
    });
    for (const url of pages()) written.pages.set(url, settled(await ok('GET', url, token)));
    written.pages.set('/user (read token)', await ok('GET', '/user', written.reader));
    expect(written.pages.get(`/orgs/acme/webhooks/${written.hook}/deliveries?limit=100`)).toMatchObject({
      items: Array.from({ length: 4 }, () => ({ status: 'delivered' })),
    });
    // 0.1.0's clusters share one fixed password; this version gives the cluster its own on its first start
    expect(fs.existsSync(PASSWORD_FILE)).toBe(false);
    expect(await step('stop (previous release)', async () => server?.stop())).toBe(0);
    server = undefined;
  });

  it('this version serves the same data directory: it migrates on start, gives the cluster its own password, and every page reads back the same', async () => {
    const running = await step('serve and migrate (this version)', () => start(current));
    expect(version).not.toBe(PREVIOUS_VERSION);
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok', version });
    const migrated = running.output().match(/migrated: \S+/g) ?? [];
    const newer = fs
      .readdirSync(path.join(ROOT, 'migrations'))
      .filter((file) => file.endsWith('.sql') && file > '0019_event_rendering.sql')
      .map((file) => `migrated: ${file.replace(/\.sql$/, '')}`);
    expect(migrated).toEqual(newer);
    expect(newer.length).toBeGreaterThan(0);
    expect(fs.statSync(PASSWORD_FILE).mode & 0o077).toBe(0);
    expect(await login(LEGACY_PASSWORD)).toBe('28P01');
    expect(await login(fs.readFileSync(PASSWORD_FILE, 'utf8').trim())).toBe('yes');
    for (const [url, before] of written.pages) {
      const after =
        url === '/user (read token)' ? await ok('GET', '/user', written.reader) : await ok('GET', url, written.token);
      if (url.includes('/events')) {
        // the feed's cursor holds the database's transaction position, which the migrations moved on: the same
        // events, and a reader's cursor from before the upgrade resumes after the last of them
        const { items, nextCursor } = before as { items: unknown[]; nextCursor: string };
        expect({ url, page: settled(after) }).toMatchObject({ url, page: { items } });
        const resumed = await ok('GET', `/repos/${written.repo}/events?after=${nextCursor}`, written.token);
        expect(resumed.items).toEqual([]);
        written.cursor = nextCursor;
      } else {
        expect({ url, page: settled(after) }).toMatchObject({ url, page: before as object });
      }
    }
  });

  it("this version serves the artifacts byte for byte, keeps the token's scopes, a feed reader's cursor resumes, and the webhook still delivers, signed", async () => {
    for (const [id, bytes] of written.files)
      expect((await content(written.repo, id, written.token)).equals(bytes)).toBe(true);
    for (const [id, bytes] of written.files)
      expect((await content(written.repo, id, written.reader)).equals(bytes)).toBe(true);
    const refused = await call('POST', `/repos/${written.repo}/releases`, written.reader, { version: '9.9.9' });
    expect(refused.status).toBe(403);
    const release = await ok('POST', `/repos/${written.repo}/releases`, written.token, { version: '1.2.0' });
    const feed = await ok('GET', `/repos/${written.repo}/events?after=${written.cursor}`, written.token);
    expect(feed.items).toMatchObject([{ type: 'release.created', resource: { id: release.id, version: '1.2.0' } }]);
    await delivered(5);
    const delivery = receiver.received[4];
    expect(delivery?.headers['x-gitweave-event']).toBe('release.created');
    expect(JSON.parse(delivery?.body ?? '{}')).toMatchObject({ type: 'release.created', resource: { id: release.id } });
    expect(delivery?.headers['x-gitweave-signature-256']).toBe(
      `sha256=${createHmac('sha256', SECRET)
        .update(delivery?.body ?? '')
        .digest('hex')}`,
    );
  });

  it('this version stops, then migrate finds nothing to do and admin verify finds the volume clean', async () => {
    expect(await step('stop (this version)', async () => server?.stop())).toBe(0);
    server = undefined;
    const migrated = await runBin(current, 'gitweave-releases', ['migrate'], env);
    expect(migrated).toMatchObject({ code: 0 });
    expect(migrated.stdout).toContain('the database is up to date');
    const verified = await step('admin verify (this version)', () =>
      runBin(current, 'gitweave-releases', ['admin', 'verify'], env),
    );
    expect(verified).toMatchObject({ code: 0 });
    expect(JSON.parse(verified.stdout)).toMatchObject({ clean: true, files: 2, missing: [], altered: [], orphans: [] });
  });

  it('data that a newer version migrated: serve, migrate and admin each refuse it with one line, serve exiting 1 and the others 2', async () => {
    // a migration after this version's newest, as the next version would leave it
    await start(current);
    const client = embedded(fs.readFileSync(PASSWORD_FILE, 'utf8').trim());
    await client.connect();
    await client.query("INSERT INTO pgmigrations (name, run_on) VALUES ('9000_from_a_newer_version', now())");
    await client.end();
    expect(await server?.stop()).toBe(0);
    server = undefined;
    const newest = fs
      .readdirSync(path.join(ROOT, 'migrations'))
      .filter((file) => file.endsWith('.sql'))
      .sort()
      .at(-1)
      ?.replace(/\.sql$/, '');
    const line = `this database is at migration 9000_from_a_newer_version, newer than this version's newest (${newest}): a newer version of gitweave-releases migrated it, so run that version or a later one on it; nothing was changed`;
    const refused = await step('serve, migrate and admin refusing (this version)', async () => [
      // one that served instead is stopped after a minute (SIGTERM, exit 0), and fails below
      { command: 'serve', result: await runBin(current, 'gitweave-releases', ['serve'], env, 60_000) },
      { command: 'migrate', result: await runBin(current, 'gitweave-releases', ['migrate'], env) },
      {
        command: 'admin org create',
        result: await runBin(current, 'gitweave-releases', ['admin', 'org', 'create', 'late'], env),
      },
      { command: 'admin verify', result: await runBin(current, 'gitweave-releases', ['admin', 'verify'], env) },
    ]);
    const expected: Record<string, { code: number; prefix: string }> = {
      serve: { code: 1, prefix: '[gitweave] cannot start: ' },
      migrate: { code: 2, prefix: '[gitweave] cannot migrate: ' },
      'admin org create': { code: 2, prefix: 'error: ' },
      'admin verify': { code: 2, prefix: 'error: ' },
    };
    for (const { command, result } of refused) {
      // the embedded Postgres' start and stop may say more; the refusal is one line, and no stack
      const lines = result.stderr.split('\n').filter((text) => text.includes('9000_from_a_newer_version'));
      expect({ command, code: result.code, lines, stack: /\n\s+at /.test(result.stderr) }).toEqual({
        command,
        code: expected[command]?.code,
        lines: [`${expected[command]?.prefix}${line}`],
        stack: false,
      });
    }
  });
});
