import type { FromSchema } from 'json-schema-to-ts';
import { pageProperties, timestamp, uuid } from './common';
import { orgRef } from './environments';
import { eventTypes, publicEvent } from './events';
import { typed } from './typed';

/** The event types a webhook can subscribe to (lib/domain/events emits them); `*` is every type. */
export const WEBHOOK_EVENT_TYPES = eventTypes;

const events = {
  type: 'array',
  items: { type: 'string', enum: [...WEBHOOK_EVENT_TYPES, '*'] },
  maxItems: WEBHOOK_EVENT_TYPES.length + 1,
  uniqueItems: true,
  description: `the event types to deliver; ["*"] (or [], or no field) means every type: ${WEBHOOK_EVENT_TYPES.join(', ')}`,
} as const;

export const createWebhookBody = typed({
  type: 'object',
  properties: {
    url: {
      type: 'string',
      minLength: 1,
      maxLength: 2048,
      description: 'an http or https URL of a public address (private ones only with WEBHOOK_ALLOW_PRIVATE=true)',
    },
    events,
    secret: {
      type: 'string',
      minLength: 16,
      maxLength: 256,
      pattern: '^[\\x21-\\x7e]+$',
      description:
        'write-only: the key of X-GitWeave-Signature-256 (HMAC-SHA256 of the body); printable ASCII, no spaces, 16 to 256 characters; never returned',
      writeOnly: true,
    },
  },
  required: ['url', 'secret'],
  additionalProperties: false,
} as const);

export const webhookParams = typed({
  type: 'object',
  properties: { org: orgRef, id: uuid },
  required: ['org', 'id'],
  additionalProperties: false,
} as const);

export const deliveryParams = typed({
  type: 'object',
  properties: { org: orgRef, id: uuid, deliveryId: uuid },
  required: ['org', 'id', 'deliveryId'],
  additionalProperties: false,
} as const);

export const listWebhooksQuery = typed({
  type: 'object',
  properties: pageProperties,
  additionalProperties: false,
} as const);

/** POST .../redeliver takes an empty object (a body, so that an Idempotency-Key can make its retries safe). */
export const redeliverBody = typed({
  type: 'object',
  properties: {},
  additionalProperties: false,
} as const);

export const webhook = {
  type: 'object',
  properties: {
    id: uuid,
    orgId: uuid,
    url: { type: 'string' },
    events: { ...events, minItems: 1 },
    createdAt: timestamp,
  },
  required: ['id', 'orgId', 'url', 'events', 'createdAt'],
  additionalProperties: false,
} as const;
export type Webhook = FromSchema<typeof webhook>;

const attempt = {
  type: 'object',
  properties: {
    at: { ...timestamp, description: 'when the attempt started' },
    statusCode: { anyOf: [{ type: 'integer' }, { type: 'null' }], description: "the receiver's status; null: none" },
    durationMs: { type: 'integer', minimum: 0 },
    error: { anyOf: [{ type: 'string' }, { type: 'null' }], description: 'why it failed; null on a 2xx' },
    redelivery: { type: 'boolean', description: 'asked for with POST .../redeliver' },
  },
  required: ['at', 'statusCode', 'durationMs', 'error', 'redelivery'],
  additionalProperties: false,
} as const;

export const delivery = {
  type: 'object',
  properties: {
    id: { ...uuid, description: 'X-GitWeave-Delivery: the same on every attempt' },
    webhookId: uuid,
    eventId: uuid,
    event: { type: 'string', description: 'the event type (X-GitWeave-Event)' },
    status: {
      type: 'string',
      enum: ['pending', 'delivered', 'failed'],
      description: 'pending: not yet answered with a 2xx (or a redelivery is queued); failed: no 2xx within 24 hours',
    },
    createdAt: timestamp,
    nextAttemptAt: { anyOf: [timestamp, { type: 'null' }], description: 'when pending: not before this time' },
    attempts: { type: 'array', items: attempt, description: 'oldest first' },
  },
  required: ['id', 'webhookId', 'eventId', 'event', 'status', 'createdAt', 'nextAttemptAt', 'attempts'],
  additionalProperties: false,
} as const;
export type Delivery = FromSchema<typeof delivery>;

const header = (name: string, description: string, schema: object) => ({
  name,
  in: 'header',
  required: true,
  description,
  schema,
});

/**
 * What a receiver gets, as an OpenAPI 3.1 `webhooks` entry: a POST of the event, as the feed renders it, with the
 * headers every delivery carries; any 2xx answers it, anything else is retried.
 */
export const webhookDeliveryOperation = {
  post: {
    operationId: 'receiveEvent',
    summary: 'A delivery of one event to a webhook (sent by GitWeave to the webhook URL)',
    parameters: [
      header('X-GitWeave-Event', 'the event type', { type: 'string', enum: eventTypes }),
      header('X-GitWeave-Delivery', 'the delivery id, the same on every retry (dedupe on it)', uuid),
      header('X-GitWeave-Signature-256', 'sha256=<hex HMAC-SHA256 of the raw body keyed by the secret>', {
        type: 'string',
        pattern: '^sha256=[0-9a-f]{64}$',
      }),
      header('User-Agent', 'GitWeave-Releases-Webhooks/1', { type: 'string' }),
    ],
    requestBody: { required: true, content: { 'application/json': { schema: publicEvent } } },
    responses: {
      '2XX': { description: 'received; any other answer (a 3xx too) or none within the timeout is retried' },
    },
  },
} as const;
