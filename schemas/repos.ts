import type { FromSchema } from 'json-schema-to-ts';
import { pageProperties, role, uuid } from './common';
import { orgRef } from './environments';
import { typed } from './typed';

export const listReposQuery = typed({
  type: 'object',
  properties: pageProperties,
  additionalProperties: false,
} as const);

/** A repo the caller may see, with its org and the caller's role there (what decides where it may deploy). */
export const memberRepo = {
  type: 'object',
  properties: {
    id: uuid,
    name: { type: 'string' },
    org: {
      type: 'object',
      properties: { id: uuid, slug: { type: 'string' } },
      required: ['id', 'slug'],
      additionalProperties: false,
    },
    role: {
      ...role,
      description: "the caller's role in the repo's org; deploying to a protected environment needs release_manager",
    },
  },
  required: ['id', 'name', 'org', 'role'],
  additionalProperties: false,
} as const;
export type MemberRepo = FromSchema<typeof memberRepo>;

/** A repo named by its org (id or slug) and its name, as forge CLIs name repos (owner/name). */
export const repoByNameParams = typed({
  type: 'object',
  properties: {
    org: orgRef,
    name: {
      type: 'string',
      pattern: '^[A-Za-z0-9._-]{1,100}$',
      description: "the repo's name: letters, digits, dots, underscores and dashes",
    },
  },
  required: ['org', 'name'],
  additionalProperties: false,
} as const);
