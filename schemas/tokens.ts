import type { FromSchema } from 'json-schema-to-ts';
import { displayName, pageProperties, timestamp, uuid } from './common';
import { typed } from './typed';

/** What a token may do: read anything; write artifacts and releases; deployments; environments (and webhooks). */
const scope = {
  type: 'string',
  enum: ['read', 'release', 'deploy', 'admin'],
  description: 'read: every GET; release: artifacts and releases; deploy: deployments; admin: environments',
} as const;
export type Scope = FromSchema<typeof scope>;
export const SCOPES: readonly Scope[] = scope.enum;

export const createTokenBody = typed({
  type: 'object',
  properties: {
    name: { ...displayName(100), description: 'what the token is for, as its owner reads it in GET /tokens' },
    // any string here: an unknown scope is a 422 naming it, not a schema failure
    scopes: {
      type: 'array',
      minItems: 1,
      maxItems: 16,
      uniqueItems: true,
      items: { type: 'string', minLength: 1, maxLength: 64 },
      description: `some of ${scope.enum.join(', ')}, each one the token that asks has and the caller's roles give`,
    },
    expiresAt: {
      ...timestamp,
      description: 'in the future, and not after the expiry of the token that asks; default: that expiry, or never',
    },
  },
  required: ['name', 'scopes'],
  additionalProperties: false,
} as const);

export const tokenParams = typed({
  type: 'object',
  properties: { id: uuid },
  required: ['id'],
  additionalProperties: false,
} as const);

export const listTokensQuery = typed({
  type: 'object',
  properties: pageProperties,
  additionalProperties: false,
} as const);

const scopes = { type: 'array', items: scope, minItems: 1 } as const;
const expiresAt = { anyOf: [timestamp, { type: 'null' }], description: 'null: never expires' } as const;

/** A token just made: the only time its secret is shown. */
export const createdToken = {
  type: 'object',
  properties: {
    id: uuid,
    token: { type: 'string', description: 'the secret: send it as Authorization: Bearer <token>; shown only here' },
    name: { type: 'string' },
    scopes,
    expiresAt,
  },
  required: ['id', 'token', 'name', 'scopes', 'expiresAt'],
  additionalProperties: false,
} as const;
export type CreatedToken = FromSchema<typeof createdToken>;

/** A live token of the caller, as listed: everything but the secret. */
export const tokenSummary = {
  type: 'object',
  properties: {
    id: uuid,
    name: { type: 'string' },
    scopes,
    createdAt: timestamp,
    expiresAt,
    lastUsedAt: {
      anyOf: [timestamp, { type: 'null' }],
      description: 'when it was last used, to within a couple of minutes; null: never',
    },
  },
  required: ['id', 'name', 'scopes', 'createdAt', 'expiresAt', 'lastUsedAt'],
  additionalProperties: false,
} as const;
export type TokenSummary = FromSchema<typeof tokenSummary>;

/** The caller, as its token identifies it (GET /user): who it is and what this token may do. */
export const currentUser = {
  type: 'object',
  properties: {
    id: uuid,
    name: { type: 'string' },
    token: {
      type: 'object',
      properties: { id: uuid, scopes, expiresAt },
      required: ['id', 'scopes', 'expiresAt'],
      additionalProperties: false,
    },
  },
  required: ['id', 'name', 'token'],
  additionalProperties: false,
} as const;

export type CurrentUser = FromSchema<typeof currentUser>;
