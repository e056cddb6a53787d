import path from 'node:path';
import { RELEASE_NOTES_HARD_MAX } from '../../schemas/releases';

/** Thrown when an environment variable has a value we cannot run with; the message names the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

function databaseUrl(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.DATABASE_URL;
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('DATABASE_URL must be a postgres:// URL');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`DATABASE_URL must be a postgres:// URL, got protocol ${url.protocol}`);
  }
  return raw;
}

function boolean(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw new ConfigError(`${name} must be true or false, got ${JSON.stringify(raw)}`);
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function logLevel(env: NodeJS.ProcessEnv): (typeof LOG_LEVELS)[number] {
  const raw = env.LOG_LEVEL;
  if (raw === undefined || raw === '') return 'info';
  const level = LOG_LEVELS.find((candidate) => candidate === raw);
  if (!level) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(raw)}`);
  return level;
}

/**
 * CORS_ORIGINS: unset or empty, CORS is off; `*`, any origin (never with credentials); else a comma-separated list
 * of exact origins (scheme://host[:port]), each as a browser sends it in `Origin`.
 */
function corsOrigins(env: NodeJS.ProcessEnv): '*' | string[] {
  const raw = env.CORS_ORIGINS?.trim();
  if (!raw) return [];
  if (raw === '*') return '*';
  return raw.split(',').map((entry) => {
    const origin = entry.trim();
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || parsed.origin !== origin || !/^https?:$/.test(parsed.protocol)) {
      throw new ConfigError(
        `CORS_ORIGINS must be * or a comma-separated list of origins such as https://app.example.com, got ${JSON.stringify(origin)}`,
      );
    }
    return origin;
  });
}

/** Reads and checks `env`; `config()` is the process's memoised copy. */
export function readConfig(env: NodeJS.ProcessEnv = process.env) {
  return {
    /** unset: the scripts start an embedded Postgres; handlers always need it set */
    databaseUrl: databaseUrl(env),
    databasePoolSize: integer(env, 'DATABASE_POOL_SIZE', 10, 1, 100),
    /** bound on connecting, waiting for a pooled connection and running one statement */
    databaseTimeoutMs: integer(env, 'DATABASE_TIMEOUT_MS', 5000, 100, 600_000),
    /** how long a warm process trusts what a token resolved to where no LISTEN tells it of a change (Lambda); 0: never */
    authCacheTtlMs: integer(env, 'AUTH_CACHE_TTL_MS', 30_000, 0, 3_600_000),
    artifactsDir: path.resolve(env.ARTIFACTS_DIR || path.join('data', 'artifacts')),
    /** a registration still hashing after this long is abandoned with a 422, well inside Lambda's 29 s timeout */
    artifactHashDeadlineMs: integer(env, 'ARTIFACT_HASH_DEADLINE_MS', 20_000, 1, 600_000),
    releaseNotesMaxLen: integer(env, 'RELEASE_NOTES_MAX_LEN', 5000, 0, RELEASE_NOTES_HARD_MAX),
    port: integer(env, 'PORT', 3000, 1, 65535),
    /** the address npm start listens on */
    host: env.HOST || '127.0.0.1',
    logLevel: logLevel(env),
    corsOrigins: corsOrigins(env),
    /** false: npm start sends no webhooks (other servers, or the scheduled function, do) */
    webhookDeliverer: boolean(env, 'WEBHOOK_DELIVERER', true),
    /** true: webhooks may target loopback, private and other special-purpose addresses (tests, a trusted LAN) */
    webhookAllowPrivate: boolean(env, 'WEBHOOK_ALLOW_PRIVATE', false),
    /** one delivery attempt (connect, send, answer's status line) gives up after this long */
    webhookTimeoutMs: integer(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 1, 60_000),
    /** the first retry's delay; each next one doubles, up to 128 times this, with jitter */
    webhookRetryBaseMs: integer(env, 'WEBHOOK_RETRY_BASE_MS', 30_000, 1, 3_600_000),
    /** attempts in flight at once per process (one per webhook at most) */
    webhookConcurrency: integer(env, 'WEBHOOK_CONCURRENCY', 10, 1, 1000),
  };
}

export type Config = ReturnType<typeof readConfig>;

let memo: Config | undefined;

/** The configuration of this process, read and checked on first use (so importing a module reads no environment). */
export function config(): Config {
  memo ??= readConfig();
  return memo;
}
