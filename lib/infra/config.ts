import path from 'node:path';
import Ajv, { type ErrorObject } from 'ajv';
import type { FromSchema } from 'json-schema-to-ts';
import { environment } from '../../schemas/config';

/** Thrown when an environment variable has a value we cannot run with; the message names the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Property = { type: string; minimum?: number; maximum?: number; enum?: readonly string[] };
const PROPERTIES = environment.properties as Record<string, Property>;

// environment values are strings: the schema's integers and booleans are coerced from them, defaults filled in
const validate = new Ajv({ allErrors: false, coerceTypes: true, useDefaults: true, keywords: ['unset'] }).compile(
  environment,
);

/** What `name` must be, from its schema: one message per kind of value. */
function expectation(name: string): string {
  const property = PROPERTIES[name];
  if (name === 'DATABASE_URL') return 'must be a postgres:// URL';
  if (property?.type === 'integer') return `must be a whole number from ${property.minimum} to ${property.maximum}`;
  if (property?.type === 'boolean') return 'must be true or false';
  if (property?.enum) return `must be one of ${property.enum.join(', ')}`;
  return 'must not be empty';
}

function refusal(name: string, raw: string | undefined): ConfigError {
  return new ConfigError(`${name} ${expectation(name)}, got ${JSON.stringify(raw)}`);
}

/**
 * PUBLIC_URL, without a trailing slash: an http(s) URL with no query or fragment; unset, the address npm start listens
 * on (a wildcard address as localhost).
 */
function publicUrl(raw: string | undefined, host: string, port: number): string {
  if (raw === undefined) {
    const named = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
    return `http://${named}:${port}`;
  }
  let parsed: URL | undefined;
  try {
    parsed = new URL(raw);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.search || parsed.hash || parsed.username) {
    throw new ConfigError(
      `PUBLIC_URL must be an http or https URL such as https://releases.example.com, got ${JSON.stringify(raw)}`,
    );
  }
  return `${parsed.origin}${parsed.pathname}`.replace(/\/+$/, '');
}

/**
 * CORS_ORIGINS: unset or empty, CORS is off; `*`, any origin (never with credentials); else a comma-separated list
 * of exact origins (scheme://host[:port]), each as a browser sends it in `Origin`.
 */
function corsOrigins(raw: string | undefined): '*' | string[] {
  const value = raw?.trim();
  if (!value) return [];
  if (value === '*') return '*';
  return value.split(',').map((entry) => {
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

/**
 * Reads and checks `env` against the schema of every variable (schemas/config.ts): an empty value counts as unset, a
 * whole number is digits only, and the first bad value stops with a ConfigError naming it. `config()` is the
 * process's memoised copy.
 */
export function readConfig(env: NodeJS.ProcessEnv = process.env) {
  const values: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(PROPERTIES)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    // AJV would take 1e3, 0x10 or " 7" as numbers; a whole number here is written in digits
    if (property.type === 'integer' && !/^\d+$/.test(raw)) throw refusal(name, raw);
    values[name] = raw;
  }
  if (!validate(values)) {
    const error = validate.errors?.[0] as ErrorObject;
    const name = error.instancePath.slice(1);
    throw refusal(name, env[name]);
  }
  const v = values as FromSchema<typeof environment>;
  return {
    /** unset: the scripts start an embedded Postgres; handlers always need it set */
    databaseUrl: v.DATABASE_URL,
    /** the embedded Postgres's port, when DATABASE_URL is unset */
    embeddedPgPort: v.EMBEDDED_PG_PORT,
    databasePoolSize: v.DATABASE_POOL_SIZE,
    /** bound on connecting, waiting for a pooled connection and running one statement */
    databaseTimeoutMs: v.DATABASE_TIMEOUT_MS,
    /** how long a warm process trusts what a token resolved to where no LISTEN tells it of a change (Lambda); 0: never */
    authCacheTtlMs: v.AUTH_CACHE_TTL_MS,
    /** the embedded Postgres, the first start's token and (unless ARTIFACTS_DIR says otherwise) the artifacts */
    dataDir: path.resolve(v.DATA_DIR),
    artifactsDir: path.resolve(v.ARTIFACTS_DIR ?? path.join(v.DATA_DIR, 'artifacts')),
    /** a registration still hashing after this long is abandoned with a 422, well inside Lambda's 29 s timeout */
    artifactHashDeadlineMs: v.ARTIFACT_HASH_DEADLINE_MS,
    /** bare repositories as <org slug>/<repo name>.git, read for release notes; a repo may name another (admin) */
    gitReposDir: path.resolve(v.GIT_REPOS_DIR),
    releaseNotesMaxLen: v.RELEASE_NOTES_MAX_LEN,
    port: v.PORT,
    /** where npm start serves GET /metrics (a port of its own, on HOST); undefined: not served */
    metricsPort: v.METRICS_PORT,
    /** the address npm start listens on */
    host: v.HOST,
    /** where clients reach the API, no trailing slash: every absolute URL the API writes starts with it */
    publicUrl: publicUrl(v.PUBLIC_URL, v.HOST, v.PORT),
    /** true: X-Forwarded-Proto and X-Forwarded-Host come from a proxy we trust, and make the absolute URLs */
    trustProxy: v.TRUST_PROXY,
    logLevel: v.LOG_LEVEL,
    corsOrigins: corsOrigins(v.CORS_ORIGINS),
    /** false: this process sends no webhooks, from npm start's deliverer or the scheduled function (others do) */
    webhookDeliverer: v.WEBHOOK_DELIVERER,
    /** true: webhooks may target loopback, private and other special-purpose addresses (tests, a trusted LAN) */
    webhookAllowPrivate: v.WEBHOOK_ALLOW_PRIVATE,
    /** one delivery attempt (connect, send, answer's status line) gives up after this long */
    webhookTimeoutMs: v.WEBHOOK_TIMEOUT_MS,
    /** the first retry's delay; each next one doubles, up to 128 times this, with jitter */
    webhookRetryBaseMs: v.WEBHOOK_RETRY_BASE_MS,
    /** attempts in flight at once per process (one per webhook at most) */
    webhookConcurrency: v.WEBHOOK_CONCURRENCY,
  };
}

export type Config = ReturnType<typeof readConfig>;

let memo: Config | undefined;

/** The configuration of this process, read and checked on first use (so importing a module reads no environment). */
export function config(): Config {
  memo ??= readConfig();
  return memo;
}

/**
 * Reads the environment again and makes it this process's configuration: for the server, whose modules may be loaded
 * (and read the configuration) while its database is being started, before DATABASE_URL is set.
 */
export function rereadConfig(): Config {
  memo = readConfig();
  return memo;
}

/**
 * For a server started with PORT=0, once it listens: the port the OS picked stands for PORT from then on, in this
 * process's configuration (PUBLIC_URL's default is made of it).
 */
export function listeningOn(port: number): void {
  process.env.PORT = String(port);
  rereadConfig();
}

/** The README's configuration table, row by row, as the schema describes each variable. */
export function configurationRows(): Array<[string, string, string]> {
  return Object.entries(environment.properties).map(([name, property]) => {
    const described = property as { default?: unknown; unset?: string; description: string };
    const fallback = 'default' in described ? `\`${String(described.default)}\`` : `unset: ${described.unset}`;
    return [`\`${name}\``, fallback, described.description];
  });
}
