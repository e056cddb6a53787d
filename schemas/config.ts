import { RELEASE_NOTES_HARD_MAX } from './releases';

/** A whole number in a range, and what it means. */
const whole = (minimum: number, maximum: number, fallback: number, description: string) =>
  ({ type: 'integer', minimum, maximum, default: fallback, description }) as const;
const flag = (fallback: boolean, description: string) => ({ type: 'boolean', default: fallback, description }) as const;

/**
 * Every environment variable the project reads, once: lib/infra/config checks the environment against it (AJV, a
 * message naming the variable for each bad value), and the README's configuration table is made from it (npm run
 * generate; a test holds the two equal). `unset` says what happens without a value where there is no default.
 */
export const environment = {
  type: 'object',
  properties: {
    DATA_DIR: {
      type: 'string',
      minLength: 1,
      default: './data',
      description:
        "where data lives: the embedded Postgres (`postgres/`), the first start's token (`bootstrap.json`) and, by default, the artifacts",
    },
    DATABASE_URL: {
      type: 'string',
      pattern: '^postgres(ql)?://\\S+$',
      unset: 'the embedded Postgres under `$DATA_DIR/postgres`',
      description: 'Postgres to use; when set, nothing is started',
    },
    EMBEDDED_PG_PORT: whole(
      1,
      65535,
      54329,
      'port of the embedded Postgres of `npm start` and the admin command, when no server already runs on its data directory',
    ),
    EMBEDDED_PG_TEST_PORT: whole(1, 65535, 54339, 'port of the embedded Postgres of `npm test`'),
    ARTIFACTS_DIR: {
      type: 'string',
      unset: '`$DATA_DIR/artifacts`',
      description: 'the artifacts volume (`/data/artifacts` in the container)',
    },
    GIT_REPOS_DIR: {
      type: 'string',
      default: './data/git',
      description:
        "where the repos' bare git repositories are, as `<org slug>/<repo name>.git` (read only: release notes, commits)",
    },
    RELEASE_NOTES_MAX_LEN: whole(
      0,
      RELEASE_NOTES_HARD_MAX,
      5000,
      'longest release notes, in characters (Unicode code points)',
    ),
    ARTIFACT_HASH_DEADLINE_MS: whole(
      1,
      600_000,
      20_000,
      'hashing a file: registering it is abandoned after this long (`422`); a download answers `503`',
    ),
    PORT: whole(0, 65535, 3000, 'HTTP port of `npm start`; `0`: one the OS picks, printed when it serves'),
    HOST: {
      type: 'string',
      minLength: 1,
      default: '127.0.0.1',
      description: 'address the API listens on (`0.0.0.0` in the container)',
    },
    METRICS_PORT: {
      type: 'integer',
      minimum: 1,
      maximum: 65535,
      unset: 'no metrics served',
      description:
        '`npm start`: serves Prometheus metrics at `GET /metrics` on this port of `HOST`, apart from the API ([metrics](docs/operations.md#metrics))',
    },
    PUBLIC_URL: {
      type: 'string',
      unset: '`http://HOST:PORT` (`localhost` for `0.0.0.0` and `::`)',
      description:
        "where clients reach the API (`https://releases.example.com`): the absolute URLs it writes (GitHub's `upload_url`, `Link`) start with it, never with the request's Host",
    },
    TRUST_PROXY: flag(
      false,
      '`true`: behind a reverse proxy, absolute URLs follow its `X-Forwarded-Proto` and `X-Forwarded-Host` (ignored otherwise)',
    ),
    DATABASE_POOL_SIZE: whole(1, 100, 10, 'connections per process'),
    DATABASE_TIMEOUT_MS: whole(
      100,
      600_000,
      5000,
      'bound on connecting, waiting for a connection and running one statement',
    ),
    LOG_LEVEL: {
      type: 'string',
      enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      default: 'info',
      description: '`fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`; logs are JSON lines on stdout',
    },
    CORS_ORIGINS: {
      type: 'string',
      unset: 'CORS off',
      description: 'origins browsers may call the API from: `https://a.example,https://b.example` (exact), or `*`',
    },
    AUTH_CACHE_TTL_MS: whole(
      0,
      3_600_000,
      30_000,
      'how long a process trusts what a token resolved to without asking again; `0`: never ([tokens](docs/api.md#tokens-are-looked-up-once-and-forgotten-at-once))',
    ),
    WEBHOOK_ALLOW_PRIVATE: flag(
      false,
      '`true`: webhooks may also reach loopback, private and other special addresses ([webhooks](docs/api.md#webhooks))',
    ),
    WEBHOOK_TIMEOUT_MS: whole(
      1,
      60_000,
      10_000,
      'one delivery attempt (connect, send, status line of the answer) gives up after this long',
    ),
    WEBHOOK_RETRY_BASE_MS: whole(
      1,
      3_600_000,
      30_000,
      "first retry's delay; doubled each time up to 128 times this, with jitter ([webhooks](docs/api.md#webhooks))",
    ),
    WEBHOOK_CONCURRENCY: whole(1, 1000, 10, 'webhooks a process sends to at once (one connection each)'),
    WEBHOOK_DELIVERER: flag(
      true,
      "`false`: this process sends no webhooks, neither `npm start`'s deliverer nor the scheduled function of `npm run dev` or Lambda (other processes do)",
    ),
    SLS_LOG_LEVEL: {
      type: 'string',
      default: 'warning',
      description: "`npm run dev` only: serverless-offline's own log level",
    },
  },
} as const;
