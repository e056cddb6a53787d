import { createHash } from 'node:crypto';
import createConnectionPool, {
  sql as bundledSql,
  type ConnectionPool,
  isSQLError,
  type Queryable,
  SQLErrorCode,
} from '@databases/pg';
import { config } from './config';
import { metrics, sqlStateOf } from './metrics';

export type { Queryable };

/** A row as @databases returns it (untyped): each domain module maps its columns to a schema's type. */
// biome-ignore lint/suspicious/noExplicitAny: the driver types rows as any; the mappers are what give them a type
export type Row = Record<string, any>;

const SHARED = Symbol.for('gitweave.releases.db');
type Shared = { sql: typeof bundledSql; pool?: ConnectionPool };
type WithShared = typeof globalThis & { [SHARED]?: Shared };

/*
 * One pool per process. serverless-offline loads every function's bundle into one process, each bundle with its
 * own copy of @databases; a pool only accepts queries built by its own copy's `sql`, so the first bundle loaded
 * shares both its pool and its `sql` tag through globalThis, and every bundle uses those.
 */
const holder = globalThis as WithShared;
holder[SHARED] ??= { sql: bundledSql };
const shared: Shared = holder[SHARED];

/** The `sql` tag to build every query with (shared by all bundles in one process, see above). */
export const sql: typeof bundledSql = shared.sql;

/** The pool of this process, opened on first use. */
export function db(): ConnectionPool {
  if (!shared.pool) {
    const { databaseUrl, databasePoolSize, databaseTimeoutMs } = config();
    if (!databaseUrl) {
      throw new Error('DATABASE_URL is not set (npm start and npm test set it for the functions they serve)');
    }
    shared.pool = createConnectionPool({
      connectionString: databaseUrl,
      bigIntMode: 'number',
      poolSize: databasePoolSize,
      connectionTimeoutMilliseconds: databaseTimeoutMs,
      queueTimeoutMilliseconds: databaseTimeoutMs,
      statementTimeoutMilliseconds: databaseTimeoutMs,
      queryTimeoutMilliseconds: databaseTimeoutMs + 1000,
      idleInTransactionSessionTimeoutMilliseconds: databaseTimeoutMs,
      applicationName: 'gitweave-releases',
      // a connection that dies while idle in the pool is dropped by the pool; it is not an error of any request
      onError: () => undefined,
      // prepared statements: pgbench ran the reads' statements at 2-6x the TPS prepared (bench/results/2026-11-28.json)
      onQueryStart: (_query, formatted) => prepare(formatted),
      // counted by SQL state; @databases refuses a handler that returns anything
      onQueryError: (_query, _formatted, err) => {
        metrics.statementErrors.inc({ sqlstate: sqlStateOf(err) });
      },
    });
  }
  return shared.pool;
}

const names = new Map<string, string>();
/**
 * Names the statement after its text, so that pg prepares it once per connection and then only binds and
 * executes it (the driver keeps prepared names per connection; the text decides the name, so it never clashes).
 */
function prepare(formatted: { readonly text: string }): void {
  let name = names.get(formatted.text);
  if (name === undefined) {
    name = `s${createHash('sha1').update(formatted.text).digest('hex').slice(0, 20)}`;
    if (names.size < 10_000) names.set(formatted.text, name);
  }
  (formatted as { name?: string }).name = name;
}

/** The queue of @databases' pool, which its ConnectionPool keeps as a protected `_pool`. */
interface PoolQueue {
  getConnectionsCount(): number;
  getIdleConnectionsCount(): number;
  getQueueLength(): number;
}

/**
 * The pool's connections now: open (`total`, at most DATABASE_POOL_SIZE), `idle` among them, and requests `waiting`
 * for one; null before the pool is opened.
 */
export function poolStats(): { size: number; total: number; idle: number; waiting: number } | null {
  const queue = (shared.pool as unknown as { _pool?: PoolQueue } | undefined)?._pool;
  if (!queue) return null;
  return {
    size: config().databasePoolSize,
    total: queue.getConnectionsCount(),
    idle: queue.getIdleConnectionsCount(),
    waiting: queue.getQueueLength(),
  };
}

/** Closes the pool of this process, if one was opened. */
export async function closeDb(): Promise<void> {
  const pool = shared.pool;
  shared.pool = undefined;
  await pool?.dispose();
}

function violates(err: unknown, code: string, constraint?: string): boolean {
  return (
    isSQLError(err) &&
    err.code === code &&
    (constraint === undefined || (err as { constraint?: string }).constraint === constraint)
  );
}

/** True when `err` is Postgres refusing a write because it would break the named unique constraint. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  return violates(err, SQLErrorCode.UNIQUE_VIOLATION, constraint);
}

/** True when `err` is Postgres refusing a write because it would break the named check constraint. */
export function isCheckViolation(err: unknown, constraint?: string): boolean {
  return violates(err, SQLErrorCode.CHECK_VIOLATION, constraint);
}

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EPIPE']);
const UNAVAILABLE_MESSAGES = [
  /Connection terminated/i,
  /timeout expired/i,
  /Timed out/i,
  /Query read timeout/i,
  /Client has encountered a connection error/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
];

/**
 * True when `err` says the database could not be reached or did not answer in time, so the request may succeed
 * when retried: connection refused or lost, Postgres shutting down (57P0x), too many connections (53300),
 * connection exceptions (08xxx), a statement or pool timeout (57014).
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (UNAVAILABLE_CODES.has(code)) return true;
    // class 08 (connection exception) and 57P0x (the server shutting down or not yet up) as a whole
    if (/^(08|57P0)/.test(code) || code === SQLErrorCode.TOO_MANY_CONNECTIONS || code === SQLErrorCode.QUERY_CANCELED) {
      return true;
    }
  }
  if (err instanceof AggregateError && err.errors.some(isDatabaseUnavailable)) return true;
  return UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(err.message));
}

/** One round trip to the database (the health check's `SELECT 1`). */
export async function pingDatabase(db: Queryable): Promise<void> {
  await db.query(sql`SELECT 1`);
}
