import type { FromSchema } from 'json-schema-to-ts';
import { orgSlug, pageProperties, person, timestamp, uuid } from './common';
import { typed } from './typed';

/** An environment's name: a lowercase slug of at most 32 characters (dev, stg, prod, eu-west-1). */
export const environmentName = {
  type: 'string',
  maxLength: 32,
  pattern: '^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$',
  description: 'lowercase letters, digits and inner dashes, at most 32 characters',
  example: 'prod',
} as const;

/** An org named by its id or its slug. */
export const orgRef = {
  type: 'string',
  maxLength: 64,
  pattern: `^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|${orgSlug.pattern.slice(1, -1)})$`,
  description: 'org id or slug',
} as const;

/** An environment named by its id or its name (a name is never 36 characters, so the two cannot be confused). */
export const environmentRef = {
  type: 'string',
  minLength: 1,
  maxLength: 36,
  pattern: '^[0-9a-zA-Z-]+$',
  description: 'environment id or name',
} as const;

export const orgParams = typed({
  type: 'object',
  properties: { org: orgRef },
  required: ['org'],
  additionalProperties: false,
} as const);

export const environmentParams = typed({
  type: 'object',
  properties: { org: orgRef, environment: environmentRef },
  required: ['org', 'environment'],
  additionalProperties: false,
} as const);

export const listEnvironmentsQuery = typed({
  type: 'object',
  properties: pageProperties,
  additionalProperties: false,
} as const);

export const createEnvironmentBody = typed({
  type: 'object',
  properties: {
    name: environmentName,
    protected: { type: 'boolean', default: false, description: 'true: deploying here needs the release_manager role' },
  },
  required: ['name'],
  additionalProperties: false,
} as const);

/** The repo and one environment of its org, by id or name. */
export const repoEnvironmentParams = typed({
  type: 'object',
  properties: { repo: uuid, environment: environmentRef },
  required: ['repo', 'environment'],
  additionalProperties: false,
} as const);

const position = {
  type: 'integer',
  minimum: 0,
  maximum: 1000,
  description: 'place in the pipeline; lists sort by position, then name',
} as const;
const requiredApprovals = {
  type: 'integer',
  minimum: 0,
  maximum: 5,
  description: 'approvals by release managers (not the requester) a deployment here needs before it runs',
} as const;
const requires = {
  type: 'array',
  items: environmentName,
  maxItems: 50,
  uniqueItems: true,
  description: 'environments where a release must have succeeded before it may be deployed here (names)',
} as const;

/** PATCH an environment's place and rules: any subset, at least one. */
export const updateEnvironmentBody = typed({
  type: 'object',
  properties: {
    position,
    requires,
    requiredApprovals,
    protected: { type: 'boolean', description: 'true: deploying here needs the release_manager role' },
  },
  minProperties: 1,
  additionalProperties: false,
} as const);

const environmentProperties = {
  id: uuid,
  orgId: uuid,
  name: { type: 'string' },
  protected: { type: 'boolean', description: 'deploying here needs the release_manager role' },
  position,
  requires,
  requiredApprovals,
  createdAt: timestamp,
} as const;
const environmentRequired = [
  'id',
  'orgId',
  'name',
  'protected',
  'position',
  'requires',
  'requiredApprovals',
  'createdAt',
] as const;

export const environment = {
  type: 'object',
  properties: environmentProperties,
  required: environmentRequired,
  additionalProperties: false,
} as const;
export type Environment = FromSchema<typeof environment>;

/** What runs in an environment for one repo: its newest successful deployment there. */
const currentDeployment = {
  type: 'object',
  properties: {
    deploymentId: uuid,
    releaseId: uuid,
    version: { type: 'string' },
    deployedAt: { ...timestamp, description: 'when the deployment finished' },
    deployedBy: person,
  },
  required: ['deploymentId', 'releaseId', 'version', 'deployedAt', 'deployedBy'],
  additionalProperties: false,
} as const;

/** An environment of a repo's org with what of the repo runs there. */
export const repoEnvironment = {
  type: 'object',
  properties: {
    ...environmentProperties,
    current: {
      anyOf: [currentDeployment, { type: 'null' }],
      description: "the repo's newest successful deployment here; null when it has none",
    },
  },
  required: [...environmentRequired, 'current'],
  additionalProperties: false,
} as const;
export type RepoEnvironment = FromSchema<typeof repoEnvironment>;
