import type { FromSchema } from 'json-schema-to-ts';
import { displayName, pageProperties, timestamp, uuid } from './common';
import { typed } from './typed';

/** A file name shown to people: printable, no path separators needed. */
const artifactName = displayName(255);
const contentType = { type: 'string', maxLength: 255, pattern: '^[\\w.+-]+/[\\w.+-]+$' } as const;
/** the digest the client expects; a file with another digest is refused */
const declaredSha256 = {
  type: 'string',
  format: 'sha256',
  description: 'expected SHA-256, 64 lowercase hex digits',
} as const;

export const registerArtifactBody = typed({
  type: 'object',
  properties: {
    name: artifactName,
    path: { ...displayName(1024), description: 'relative to ARTIFACTS_DIR, under builds/<repo id>/' },
    contentType,
    sha256: declaredSha256,
  },
  required: ['name', 'path'],
  additionalProperties: false,
} as const);

/** Query of an upload (raw body); `name` is required there, which lib/artifacts checks. */
export const uploadArtifactQuery = typed({
  type: 'object',
  properties: { name: artifactName, contentType, sha256: declaredSha256 },
  additionalProperties: false,
} as const);

export const listArtifactsQuery = typed({
  type: 'object',
  properties: pageProperties,
  additionalProperties: false,
} as const);

export const artifactParams = typed({
  type: 'object',
  properties: { repo: uuid, id: uuid },
  required: ['repo', 'id'],
  additionalProperties: false,
} as const);

export const artifact = {
  type: 'object',
  properties: {
    id: uuid,
    repoId: uuid,
    name: { type: 'string' },
    path: { type: 'string' },
    sizeBytes: { type: 'integer' },
    sha256: { type: 'string' },
    contentType: { type: 'string' },
    createdAt: timestamp,
  },
  required: ['id', 'repoId', 'name', 'path', 'sizeBytes', 'sha256', 'contentType', 'createdAt'],
  additionalProperties: false,
} as const;
export type Artifact = FromSchema<typeof artifact>;

/** Largest file accepted as a raw upload. */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
