import type { FromSchema } from 'json-schema-to-ts';
import { typed } from './typed';

/** A commit as a request names it: a commit id (or its unambiguous prefix) or a ref name of the repo's git history. */
export const commitRef = {
  type: 'string',
  minLength: 1,
  maxLength: 255,
  description: 'a commit id (full, or an unambiguous prefix) or a ref name (branch, tag)',
} as const;

export const releaseNotesBody = typed({
  type: 'object',
  properties: {
    commit: commitRef,
    version: {
      type: 'string',
      maxLength: 256,
      description: 'the version being released: notes start from the highest release below it',
    },
    previousVersion: {
      type: 'string',
      maxLength: 256,
      description: 'the release to start from (it must name a commit); default: the highest below `version`',
    },
  },
  required: ['commit'],
  additionalProperties: false,
} as const);

/** The history a release's notes cover: the commits reachable from `to` and not from `from`. */
export const notesRange = {
  type: 'object',
  properties: {
    from: {
      type: ['string', 'null'],
      description: "the previous release's commit (or the merge base with it); null: all history up to `to`",
    },
    to: { type: 'string', description: 'the commit of this release (a full id)' },
    previousVersion: { type: ['string', 'null'], description: 'the release the range starts from' },
    fromMergeBase: {
      type: 'boolean',
      description: "the previous release's commit is not an ancestor of `to`: the range starts from their merge base",
    },
    truncated: { type: 'boolean', description: 'the range held more commits than one set of notes covers' },
  },
  required: ['from', 'to', 'previousVersion', 'fromMergeBase', 'truncated'],
  additionalProperties: false,
} as const;
export type NotesRange = FromSchema<typeof notesRange>;

const noteCommit = {
  type: 'object',
  properties: {
    sha: { type: 'string' },
    group: { type: 'string', description: '`breaking`, a Conventional Commit type, or `other`' },
    type: { type: ['string', 'null'], description: 'null: the message follows no convention' },
    scope: { type: ['string', 'null'] },
    subject: { type: 'string' },
    breaking: { type: 'array', items: { type: 'string' }, description: 'what the commit breaks' },
    author: {
      type: 'object',
      properties: { name: { type: 'string' }, email: { type: 'string' } },
      required: ['name', 'email'],
      additionalProperties: false,
    },
    authoredAt: { type: 'string' },
  },
  required: ['sha', 'group', 'type', 'scope', 'subject', 'breaking', 'author', 'authoredAt'],
  additionalProperties: false,
} as const;

export const releaseNotes = {
  type: 'object',
  properties: {
    range: notesRange,
    commits: {
      type: 'array',
      items: noteCommit,
      description: 'in the order of the notes: by group, oldest first; merge commits and cancelled reverts left out',
    },
    authors: { type: 'array', items: { type: 'string' }, description: 'each author once' },
    bump: { type: ['string', 'null'], enum: ['major', 'minor', 'patch', null] },
    nextVersion: { type: ['string', 'null'], description: 'null: nothing releasable in the range' },
    reason: { type: 'string', description: 'why this version (or none) is suggested' },
    title: { type: 'string' },
    notes: { type: 'string', description: 'Markdown' },
    truncated: { type: 'boolean' },
    warnings: { type: 'array', items: { type: 'string' } },
  },
  required: ['range', 'commits', 'authors', 'bump', 'nextVersion', 'reason', 'title', 'notes', 'truncated', 'warnings'],
  additionalProperties: false,
} as const;
export type ReleaseNotes = FromSchema<typeof releaseNotes>;
