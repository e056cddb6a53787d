import type { FromSchema } from 'json-schema-to-ts';
import { timestamp, uuid } from './common';

/** Every kind of event the feed and webhooks carry. */
export const eventTypes = [
  'release.created',
  'deployment.created',
  'deployment.reviewed',
  'deployment.status_changed',
  'deployment.rolled_back',
  'environment.created',
  'environment.updated',
] as const;

/** One event as a feed reader or a webhook receives it: what happened, who did it, where, and the resource. */
export const publicEvent = {
  type: 'object',
  properties: {
    id: uuid,
    type: { type: 'string', enum: eventTypes },
    occurredAt: timestamp,
    actor: {
      description: 'who made the change; null once that user is deleted',
      anyOf: [
        {
          type: 'object',
          properties: { id: uuid, name: { type: 'string' } },
          required: ['id', 'name'],
          additionalProperties: false,
        },
        { type: 'null' },
      ],
    },
    org: {
      type: 'object',
      properties: { id: uuid, slug: { type: 'string' } },
      required: ['id', 'slug'],
      additionalProperties: false,
    },
    repo: {
      description: 'null for environment.* events (environments belong to the org)',
      anyOf: [
        {
          type: 'object',
          properties: { id: uuid, name: { type: 'string' } },
          required: ['id', 'name'],
          additionalProperties: false,
        },
        { type: 'null' },
      ],
    },
    resource: {
      type: 'object',
      description: 'the release, deployment or environment exactly as the API returns it at that moment',
    },
  },
  required: ['id', 'type', 'occurredAt', 'actor', 'org', 'repo', 'resource'],
  additionalProperties: false,
} as const;
export type PublicEvent = FromSchema<typeof publicEvent>;
export type EventType = (typeof eventTypes)[number];
