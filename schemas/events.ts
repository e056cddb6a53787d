import type { FromSchema } from 'json-schema-to-ts';
import { person, timestamp, uuid } from './common';
import { orgRef } from './environments';
import { typed } from './typed';

/** Every kind of event the feed and webhooks carry. */
export const eventTypes = [
  'release.created',
  'release.updated',
  'release.published',
  'release.deleted',
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
    actor: { description: 'who made the change; null once that user is deleted', anyOf: [person, { type: 'null' }] },
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

const typeAlternatives = eventTypes.map((type) => type.replace('.', '\\.')).join('|');

/** The query of both feeds: where to resume, which types, how many, and how long to wait for an event. */
export const feedQuery = typed({
  type: 'object',
  properties: {
    after: {
      type: 'string',
      minLength: 1,
      maxLength: 1024,
      description: 'nextCursor of a previous page of this feed, or now (only events to come); absent: the start',
    },
    types: {
      type: 'string',
      maxLength: 1024,
      pattern: `^(?:${typeAlternatives})(?:,(?:${typeAlternatives}))*$`,
      description: `comma-separated event types to return (others are skipped): ${eventTypes.join(', ')}`,
    },
    limit: { type: 'integer', minimum: 1, maximum: 100, default: 20, description: 'page size, 1 to 100' },
    wait: {
      type: 'integer',
      minimum: 0,
      maximum: 30,
      default: 0,
      description:
        'seconds to wait for an event when there is none yet (long polling); the page is empty only at the deadline',
    },
  },
  additionalProperties: false,
} as const);

/** A page of the feed: nextCursor is always given, the point to resume from (also after an empty page). */
export const feedPage = {
  type: 'object',
  properties: {
    items: { type: 'array', items: publicEvent },
    nextCursor: { type: 'string', description: 'pass as after= to read on; always given' },
  },
  required: ['items', 'nextCursor'],
  additionalProperties: false,
} as const;

export const orgFeedParams = typed({
  type: 'object',
  properties: { org: orgRef },
  required: ['org'],
  additionalProperties: false,
} as const);
