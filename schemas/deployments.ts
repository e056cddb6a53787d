import type { FromSchema } from 'json-schema-to-ts';
import { pageProperties, person, timestamp, uuid } from './common';
import { environmentRef } from './environments';
import { typed } from './typed';

const deploymentStatus = {
  type: 'string',
  enum: ['waiting', 'in_progress', 'success', 'failed', 'rejected', 'cancelled'],
  description:
    'waiting for approvals, then in_progress until finished; success, failed, rejected (a reviewer said no) and cancelled (its requester withdrew it while waiting) are final',
} as const;
export type DeploymentStatus = FromSchema<typeof deploymentStatus>;

/** The statuses a client may ask a new deployment to have (once approved, where approvals are required). */
const requestedStatus = {
  type: 'string',
  enum: ['in_progress', 'success', 'failed'],
  description:
    'in_progress for a pipeline that reports later; where approvals are required, the deployment waits and takes this status once approved',
} as const;
export type RequestedStatus = FromSchema<typeof requestedStatus>;

const deploymentKind = {
  type: 'string',
  enum: ['deploy', 'rollback'],
  description: 'rollback: recorded by POST …/environments/{environment}/rollback',
} as const;

/** The statuses a deployment can be finished with. */
const finalStatus = { type: 'string', enum: ['success', 'failed'] } as const;
export type FinalStatus = FromSchema<typeof finalStatus>;

export const createDeploymentBody = typed({
  type: 'object',
  properties: {
    environmentId: { ...uuid, description: 'an environment of the org of the repo' },
    status: { ...requestedStatus, default: 'success' },
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

/** The history of one environment for one repo. */
export const environmentHistoryQuery = typed({
  type: 'object',
  properties: { ...pageProperties, status: deploymentStatus, kind: deploymentKind },
  additionalProperties: false,
} as const);

export const reviewBody = typed({
  type: 'object',
  properties: {
    decision: { type: 'string', enum: ['approve', 'reject'] },
    comment: { type: 'string', maxLength: 2000 },
  },
  required: ['decision'],
  additionalProperties: false,
} as const);

export const cancelBody = typed({
  type: 'object',
  properties: { reason: { type: 'string', maxLength: 2000 } },
  additionalProperties: false,
} as const);

export const rollbackBody = typed({
  type: 'object',
  properties: {
    to: {
      type: 'string',
      format: 'release-ref',
      description:
        'the release to go back to (id or version); default: the newest one that ran here before the current one',
    },
    reason: { type: 'string', minLength: 1, maxLength: 2000, description: 'why, for the history' },
  },
  required: ['reason'],
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
    kind: deploymentKind,
    rollbackOf: { anyOf: [uuid, { type: 'null' }], description: 'the deployment a rollback replaced' },
    reason: { anyOf: [{ type: 'string' }, { type: 'null' }], description: 'why it was rolled back or cancelled' },
    requiredApprovals: { type: 'integer', description: 'approvals it needed when requested (0: none)' },
    startedAt: {
      ...timestamp,
      description: 'when it started; while waiting, when it was requested (set anew when the approvals are in)',
    },
    endedAt: { anyOf: [timestamp, { type: 'null' }], description: 'null while waiting or in_progress' },
    deployedBy: { ...person, description: 'who asked for it' },
    description: { type: 'string', description: 'what it is, where its requester said (GitHub: description)' },
    commit: { type: 'string', description: "its release's commit, where the release names one" },
  },
  required: [
    'id',
    'releaseId',
    'repoId',
    'version',
    'environment',
    'status',
    'kind',
    'rollbackOf',
    'reason',
    'requiredApprovals',
    'startedAt',
    'endedAt',
    'deployedBy',
  ],
  additionalProperties: false,
} as const;
export type Deployment = FromSchema<typeof deployment>;

const review = {
  type: 'object',
  properties: {
    id: uuid,
    reviewer: person,
    decision: { type: 'string', enum: ['approve', 'reject'] },
    comment: { anyOf: [{ type: 'string' }, { type: 'null' }] },
    createdAt: timestamp,
  },
  required: ['id', 'reviewer', 'decision', 'comment', 'createdAt'],
  additionalProperties: false,
} as const;

/** A deployment with its reviews, oldest first (GET /deployments/{id} and the review and cancel answers). */
export const deploymentDetail = {
  type: 'object',
  properties: { ...deployment.properties, reviews: { type: 'array', items: review } },
  required: [...deployment.required, 'reviews'],
  additionalProperties: false,
} as const;
export type DeploymentDetail = FromSchema<typeof deploymentDetail>;
