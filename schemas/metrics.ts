import type { FromSchema } from 'json-schema-to-ts';
import { timestamp, uuid } from './common';
import { environmentRef } from './environments';
import { typed } from './typed';

export const metricsQuery = typed({
  type: 'object',
  properties: {
    environment: { ...environmentRef, description: 'the environment measured (id or name), e.g. prod' },
    from: { ...timestamp, description: 'start of the window (inclusive); default: 30 days before `to`' },
    to: { ...timestamp, description: 'end of the window (exclusive); default: now' },
    bucket: {
      type: 'string',
      enum: ['day', 'week'],
      default: 'day',
      description: 'UTC days, or ISO weeks from Monday',
    },
  },
  required: ['environment'],
  additionalProperties: false,
} as const);

const nullableSeconds = { anyOf: [{ type: 'number' }, { type: 'null' }] } as const;

const distribution = {
  type: 'object',
  properties: {
    count: { type: 'integer', description: 'how many measurements' },
    medianSeconds: { ...nullableSeconds, description: 'null without measurements' },
    p90Seconds: nullableSeconds,
  },
  required: ['count', 'medianSeconds', 'p90Seconds'],
  additionalProperties: false,
} as const;

export const deliveryMetrics = {
  type: 'object',
  properties: {
    environment: {
      type: 'object',
      properties: { id: uuid, name: { type: 'string' } },
      required: ['id', 'name'],
      additionalProperties: false,
    },
    from: timestamp,
    to: timestamp,
    bucket: { type: 'string', enum: ['day', 'week'] },
    buckets: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          start: timestamp,
          deployments: { type: 'integer', description: 'deployments that ran (not waiting, rejected or cancelled)' },
          successes: { type: 'integer' },
          failures: { type: 'integer' },
          rollbacks: { type: 'integer' },
        },
        required: ['start', 'deployments', 'successes', 'failures', 'rollbacks'],
        additionalProperties: false,
      },
    },
    deploymentFrequency: { type: 'number', description: 'successful deployments per day over the window' },
    changeFailureRate: {
      anyOf: [{ type: 'number' }, { type: 'null' }],
      description: 'share of finished deployments (not rollbacks) that failed or were rolled back; null without any',
    },
    timeToRestore: {
      ...distribution,
      description:
        'from a failed deployment to the next success there, or from a deployment that was rolled back to its rollback',
    },
    leadTime: {
      ...distribution,
      description:
        "from a release's creation to its first success in the environment, for first successes in the window",
    },
  },
  required: [
    'environment',
    'from',
    'to',
    'bucket',
    'buckets',
    'deploymentFrequency',
    'changeFailureRate',
    'timeToRestore',
    'leadTime',
  ],
  additionalProperties: false,
} as const;
export type DeliveryMetrics = FromSchema<typeof deliveryMetrics>;
