import type { FromSchema } from 'json-schema-to-ts';
import { typed } from './typed';

/** Building blocks shared by the resource schemas. */

/**
 * What text people read must not hold (an artifact's name, a registered path): C0, DEL and C1 controls, the line and
 * paragraph separators (U+2028, U+2029), and the bidirectional marks, overrides and isolates (U+061C, U+200E/F,
 * U+202A–202E, U+2066–2069), which make `evil\u202egzt.exe` show as `evilexe.tzg`. A regex character class body.
 */
export const UNPRINTABLE_CHARACTERS =
  '\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028-\\u202e\\u2066-\\u2069';
const DISPLAY_NAME_PATTERN = `^[^${UNPRINTABLE_CHARACTERS}]+$`;

/** Field errors for patterns whose own text would tell a client nothing. */
export const patternMessages: Readonly<Record<string, string>> = {
  [DISPLAY_NAME_PATTERN]:
    'must not contain control characters, line or paragraph separators, or bidirectional overrides or isolates',
};

export function displayName<const N extends number>(maxLength: N) {
  return {
    type: 'string',
    minLength: 1,
    maxLength,
    pattern: DISPLAY_NAME_PATTERN,
    description: 'no control characters, line separators or bidirectional overrides',
  } as const;
}

export const uuid = { type: 'string', format: 'uuid' } as const;

export const timestamp = { type: 'string', format: 'date-time' } as const;

/** An org's slug: lowercase letters, digits and inner dashes, at most 64 characters. */
export const orgSlug = {
  type: 'string',
  pattern: '^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$',
  description: 'lowercase letters, digits and inner dashes, at most 64 characters',
} as const;

/** A member's role in an org; deploying to a protected environment needs release_manager. */
export const role = { type: 'string', enum: ['developer', 'release_manager'] } as const;
export type Role = FromSchema<typeof role>;

/** `limit` and `cursor` of every keyset-paginated list. */
export const pageProperties = {
  limit: { type: 'integer', minimum: 1, maximum: 100, default: 20, description: 'page size, 1 to 100' },
  cursor: { type: 'string', minLength: 1, maxLength: 1024, description: 'nextCursor of the previous page' },
} as const;

export const repoParams = typed({
  type: 'object',
  properties: { repo: uuid },
  required: ['repo'],
  additionalProperties: false,
} as const);

/** One readiness check: `ok`, `failing` (with why), or `skipped` where it does not apply (with why). */
const readinessCheck = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ok', 'failing', 'skipped'] },
    detail: { type: 'string' },
  },
  required: ['status', 'detail'],
  additionalProperties: false,
} as const;

/** Every check of readiness, by name. */
const readinessChecks = {
  type: 'object',
  properties: {
    database: readinessCheck,
    migrations: readinessCheck,
    artifacts: readinessCheck,
    listen: readinessCheck,
  },
  required: ['database', 'migrations', 'artifacts', 'listen'],
  additionalProperties: false,
} as const;

export type ReadinessChecks = FromSchema<typeof readinessChecks>;

/** RFC 9457 problem details, as every error response carries them. */
export const problem = {
  type: 'object',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        properties: { path: { type: 'string' }, message: { type: 'string' } },
        required: ['path', 'message'],
      },
    },
    requestId: { type: 'string' },
    /** the request's id, as a URN: the `X-Request-Id` of its answer and of its log lines */
    instance: { type: 'string' },
    /** readiness only: every check's result */
    checks: readinessChecks,
  },
  required: ['type', 'title', 'status', 'detail'],
} as const;

export type Problem = FromSchema<typeof problem>;

/** A page of a keyset-paginated list of `item`. */
export function pageOf<const S extends object>(item: S) {
  return {
    type: 'object',
    properties: {
      items: { type: 'array', items: item },
      nextCursor: { anyOf: [{ type: 'string' }, { type: 'null' }], description: 'null on the last page' },
    },
    required: ['items', 'nextCursor'],
    additionalProperties: false,
  } as const;
}

export const health = {
  type: 'object',
  properties: {
    status: { type: 'string', const: 'ok' },
    /** the running release's version (package.json, SemVer), as `gitweave-release --version` prints its own */
    version: { type: 'string', minLength: 1 },
  },
  required: ['status', 'version'],
  additionalProperties: false,
} as const;

/** GET /api/v1/health/ready when every check passes (or does not apply). */
export const readiness = {
  type: 'object',
  properties: { status: { type: 'string', const: 'ready' }, checks: readinessChecks },
  required: ['status', 'checks'],
  additionalProperties: false,
} as const;

/** Who did something: a user's id and name (createdBy, deployedBy, reviewer). */
export const person = {
  type: 'object',
  properties: { id: uuid, name: { type: 'string' } },
  required: ['id', 'name'],
  additionalProperties: false,
} as const;
