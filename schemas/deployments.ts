import type { FromSchema } from 'json-schema-to-ts';
import { pageProperties, timestamp, uuid } from './common';
import { environmentRef } from './environments';
import { typed } from './typed';

const deploymentStatus = {
  type: 'string',
  enum: ['in_progress', 'success', 'failed'],
  description: 'in_progress until finished; success and failed are final',
} as const;
export type DeploymentStatus = FromSchema<typeof deploymentStatus>;

/** The statuses a deployment can be finished with. */
const finalStatus = { type: 'string', enum: ['success', 'failed'] } as const;
export type FinalStatus = FromSchema<typeof finalStatus>;

export const createDeploymentBody = typed({
  type: 'object',
  properties: {
    environmentId: { ...uuid, description: 'an environment of the org of the repo' },
    status: { ...deploymentStatus, default: 'success' },
    startedAt: { ...timestamp, description: 'default: now' },
    endedAt: {
      anyOf: [timestamp, { type: 'null' }],
      description: 'default: now, or null while in_progress (which must not have one)',
    },
  },
  required: ['environmentId'],
  additionalProperties: false,
} as const);

export const finishDeploymentBody = typed({
  type: 'object',
  properties: {
    status: finalStatus,
    endedAt: { ...timestamp, description: 'default: now' },
  },
  required: ['status'],
  additionalProperties: false,
} as const);

export const listDeploymentsQuery = typed({
  type: 'object',
  properties: {
    ...pageProperties,
    environment: environmentRef,
    status: deploymentStatus,
  },
  additionalProperties: false,
} as const);

export const deploymentParams = typed({
  type: 'object',
  properties: { id: uuid },
  required: ['id'],
  additionalProperties: false,
} as const);

export const deployment = {
  type: 'object',
  properties: {
    id: uuid,
    releaseId: uuid,
    repoId: uuid,
    version: { type: 'string', description: 'the version of the release' },
    environment: {
      type: 'object',
      properties: { id: uuid, name: { type: 'string' } },
      required: ['id', 'name'],
      additionalProperties: false,
    },
    status: deploymentStatus,
    startedAt: timestamp,
    endedAt: { anyOf: [timestamp, { type: 'null' }], description: 'null while in_progress' },
    deployedBy: uuid,
  },
  required: ['id', 'releaseId', 'repoId', 'version', 'environment', 'status', 'startedAt', 'endedAt', 'deployedBy'],
  additionalProperties: false,
} as const;
export type Deployment = FromSchema<typeof deployment>;
