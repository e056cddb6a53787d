import type { FromSchema } from 'json-schema-to-ts';
import { artifact } from './artifacts';
import { pageProperties, person, timestamp, uuid } from './common';
import { commitRef, notesRange } from './releaseNotes';
import { typed } from './typed';

const title = { type: 'string', minLength: 1, maxLength: 256 } as const;

/** An artifact of a release: `label`, where its uploader gave one, says what it is on this release. */
const releaseArtifact = {
  ...artifact,
  properties: { ...artifact.properties, label: { type: 'string' } },
} as const;

/** The most RELEASE_NOTES_MAX_LEN may allow; the configured limit is checked by lib/domain/releases `createRelease`. */
export const RELEASE_NOTES_HARD_MAX = 1_000_000;

export const createReleaseBody = typed({
  type: 'object',
  properties: {
    version: { type: 'string', maxLength: 256, format: 'semver', description: 'SemVer 2.0.0; a leading v is removed' },
    notes: {
      type: 'string',
      maxLength: RELEASE_NOTES_HARD_MAX,
      description: 'Markdown, at most RELEASE_NOTES_MAX_LEN characters (default 5000)',
    },
    title: { ...title, description: 'what the release is called; default: its version' },
    artifactIds: { type: 'array', items: uuid, maxItems: 100 },
    commit: {
      ...commitRef,
      description: "the commit the release is built from; checked against the repo's git history when it has one",
    },
    generateNotes: {
      type: 'boolean',
      default: false,
      description: 'fill the notes from the history since the previous release (when none are given); needs commit',
    },
    draft: {
      type: 'boolean',
      default: false,
      description: 'reserve the version and collect artifacts; seen only by those who may create releases',
    },
  },
  required: ['version'],
  additionalProperties: false,
} as const);

/** A change to a release: title and notes always; version, commit and artifacts while it is a draft; publishing. */
export const updateReleaseBody = typed({
  type: 'object',
  properties: {
    title: { ...title, description: 'what the release is called' },
    notes: createReleaseBody.properties.notes,
    version: { ...createReleaseBody.properties.version, description: 'a new version: only while a draft' },
    commit: { ...commitRef, description: 'the commit it is built from: only while a draft' },
    artifactIds: {
      ...createReleaseBody.properties.artifactIds,
      description: "the draft's artifacts, replacing those it has: only while a draft",
    },
    draft: { type: 'boolean', description: 'false publishes a draft; a published release stays published' },
  },
  minProperties: 1,
  additionalProperties: false,
} as const);

export const listReleasesQuery = typed({
  type: 'object',
  properties: {
    ...pageProperties,
    sort: {
      type: 'string',
      enum: ['created', 'version'],
      default: 'created',
      description: 'newest first, or highest SemVer first',
    },
    prerelease: { type: 'boolean', description: 'true: only pre-releases; false: none; absent: all' },
    version: {
      type: 'string',
      minLength: 1,
      maxLength: 256,
      description: "an npm range, e.g. '>=1.2.0 <2.0.0' or '^1.4'",
    },
  },
  additionalProperties: false,
} as const);

export const latestReleaseQuery = typed({
  type: 'object',
  properties: {
    prerelease: { type: 'boolean', default: false, description: 'true: pre-releases may be the latest too' },
  },
  additionalProperties: false,
} as const);

/** A release named by its id or by its version (`1.4.0` or `v1.4.0`). */
export const releaseRefParams = typed({
  type: 'object',
  properties: { repo: uuid, id: { type: 'string', format: 'release-ref', description: 'release id or version' } },
  required: ['repo', 'id'],
  additionalProperties: false,
} as const);

export const releaseSummary = {
  type: 'object',
  properties: {
    id: uuid,
    version: { type: 'string' },
    createdAt: timestamp,
    createdBy: person,
    artifactCount: { type: 'integer' },
    draft: { type: 'boolean' },
  },
  required: ['id', 'version', 'createdAt', 'createdBy', 'artifactCount', 'draft'],
  additionalProperties: false,
} as const;
export type ReleaseSummary = FromSchema<typeof releaseSummary>;

/** A deployment as listed inside its release. */
const releaseDeployment = {
  type: 'object',
  properties: {
    id: uuid,
    environment: {
      type: 'object',
      properties: { id: uuid, name: { type: 'string' } },
      required: ['id', 'name'],
      additionalProperties: false,
    },
    status: { type: 'string' },
    startedAt: timestamp,
    endedAt: { anyOf: [timestamp, { type: 'null' }] },
    deployedBy: person,
  },
  required: ['id', 'environment', 'status', 'startedAt', 'endedAt', 'deployedBy'],
  additionalProperties: false,
} as const;

export const release = {
  type: 'object',
  properties: {
    id: uuid,
    repoId: uuid,
    version: { type: 'string' },
    title: { ...title, description: 'what the release is called: its version unless it was given one' },
    notes: { type: 'string' },
    commit: { type: ['string', 'null'], description: 'the commit it was built from (a full id when checked)' },
    notesRange: {
      anyOf: [notesRange, { type: 'null' }],
      description: 'the history its generated notes cover; null: notes were not generated',
    },
    createdBy: person,
    createdAt: timestamp,
    draft: { type: 'boolean', description: 'a draft: not yet published, never latest, never deployed' },
    publishedAt: { anyOf: [timestamp, { type: 'null' }], description: 'null while a draft' },
    artifacts: { type: 'array', items: releaseArtifact },
    deployments: { type: 'array', items: releaseDeployment, description: 'newest first, at most 20' },
    deploymentCount: { type: 'integer', description: 'all deployments of the release' },
  },
  required: [
    'id',
    'repoId',
    'version',
    'title',
    'notes',
    'commit',
    'notesRange',
    'createdBy',
    'createdAt',
    'draft',
    'publishedAt',
    'artifacts',
    'deployments',
    'deploymentCount',
  ],
  additionalProperties: false,
} as const;
export type Release = FromSchema<typeof release>;
