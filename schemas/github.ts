import { displayName } from './common';
import { typed } from './typed';

/**
 * The GitHub-compatible surface (/api/v3, /api/uploads): requests as GitHub's REST API names them (snake_case,
 * `{owner}` = org slug, `{repo}` = repo name, integer ids). Answers are GitHub's objects, documented by GitHub.
 */

const name = { type: 'string', minLength: 1, maxLength: 100 } as const;
const integerId = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } as const;
const url = { type: 'string', maxLength: 2048 } as const;

export const ghRepoParams = typed({
  type: 'object',
  properties: { owner: name, repo: name },
  required: ['owner', 'repo'],
  additionalProperties: false,
} as const);

export const ghReleaseParams = typed({
  type: 'object',
  properties: { owner: name, repo: name, release_id: integerId },
  required: ['owner', 'repo', 'release_id'],
  additionalProperties: false,
} as const);

export const ghTagParams = typed({
  type: 'object',
  properties: { owner: name, repo: name, tag: { type: 'string', minLength: 1, maxLength: 256 } },
  required: ['owner', 'repo', 'tag'],
  additionalProperties: false,
} as const);

export const ghAssetParams = typed({
  type: 'object',
  properties: { owner: name, repo: name, asset_id: integerId },
  required: ['owner', 'repo', 'asset_id'],
  additionalProperties: false,
} as const);

export const ghDeploymentParams = typed({
  type: 'object',
  properties: { owner: name, repo: name, deployment_id: integerId },
  required: ['owner', 'repo', 'deployment_id'],
  additionalProperties: false,
} as const);

export const ghEnvironmentParams = typed({
  type: 'object',
  properties: { owner: name, repo: name, environment_name: name },
  required: ['owner', 'repo', 'environment_name'],
  additionalProperties: false,
} as const);

/**
 * GitHub's page parameters: `per_page` above 100 is read as 100, as GitHub does; `cursor` comes in the `next` links of
 * the lists that can grow long (releases, deployments).
 */
const pageProperties = {
  page: { type: 'integer', minimum: 1, maximum: 100_000, default: 1 },
  per_page: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 30 },
} as const;
/** where the `next` link of a long list resumes (a keyset position), so that its pages cost the same */
const cursor = { type: 'string', minLength: 1, maxLength: 1024 } as const;

export const ghPageQuery = typed({
  type: 'object',
  properties: pageProperties,
  additionalProperties: false,
} as const);

export const ghReleasesQuery = typed({
  type: 'object',
  properties: { ...pageProperties, cursor },
  additionalProperties: false,
} as const);

export const ghCreateReleaseBody = typed({
  type: 'object',
  properties: {
    tag_name: { type: 'string', minLength: 1, maxLength: 256 },
    target_commitish: { type: 'string', minLength: 1, maxLength: 255 },
    name: { anyOf: [{ type: 'string', maxLength: 256 }, { type: 'null' }] },
    body: { anyOf: [{ type: 'string', maxLength: 1_000_000 }, { type: 'null' }] },
    draft: { type: 'boolean' },
    prerelease: { type: 'boolean' },
    discussion_category_name: { type: 'string' },
    generate_release_notes: { type: 'boolean' },
    make_latest: { type: 'string', enum: ['true', 'false', 'legacy'] },
  },
  required: ['tag_name'],
  additionalProperties: false,
} as const);

/** GitHub's edit of a release: any of the fields of its create. */
export const ghUpdateReleaseBody = typed({
  type: 'object',
  properties: {
    tag_name: ghCreateReleaseBody.properties.tag_name,
    target_commitish: ghCreateReleaseBody.properties.target_commitish,
    name: ghCreateReleaseBody.properties.name,
    body: ghCreateReleaseBody.properties.body,
    draft: { type: 'boolean' },
    prerelease: { type: 'boolean' },
    discussion_category_name: { type: 'string' },
    make_latest: ghCreateReleaseBody.properties.make_latest,
  },
  additionalProperties: false,
} as const);

/** GitHub's generate release notes: notes for `tag_name` up to its commit, from `previous_tag_name` if given. */
export const ghGenerateNotesBody = typed({
  type: 'object',
  properties: {
    tag_name: { type: 'string', minLength: 1, maxLength: 256 },
    target_commitish: { type: 'string', minLength: 1, maxLength: 255 },
    previous_tag_name: { type: 'string', minLength: 1, maxLength: 256 },
    configuration_file_path: { type: 'string', maxLength: 1024 },
  },
  required: ['tag_name'],
  additionalProperties: false,
} as const);

export const ghUploadAssetQuery = typed({
  type: 'object',
  properties: { name: displayName(255), label: { type: 'string', maxLength: 255 } },
  required: ['name'],
  additionalProperties: false,
} as const);

export const ghListDeploymentsQuery = typed({
  type: 'object',
  properties: {
    ...pageProperties,
    cursor,
    sha: { type: 'string', maxLength: 255 },
    ref: { type: 'string', maxLength: 256 },
    task: { type: 'string', maxLength: 100 },
    environment: { type: 'string', maxLength: 100 },
  },
  additionalProperties: false,
} as const);

export const ghCreateDeploymentBody = typed({
  type: 'object',
  properties: {
    ref: { type: 'string', minLength: 1, maxLength: 256 },
    task: { type: 'string', maxLength: 100 },
    auto_merge: { type: 'boolean' },
    required_contexts: { type: 'array', items: { type: 'string' }, maxItems: 100 },
    payload: { anyOf: [{ type: 'object' }, { type: 'string', maxLength: 65_536 }] },
    environment: { type: 'string', minLength: 1, maxLength: 100 },
    description: { anyOf: [{ type: 'string', maxLength: 140 }, { type: 'null' }] },
    transient_environment: { type: 'boolean' },
    production_environment: { type: 'boolean' },
  },
  required: ['ref', 'environment'],
  additionalProperties: false,
} as const);

const GITHUB_STATES = ['queued', 'pending', 'in_progress', 'success', 'failure', 'error', 'inactive'] as const;
/** GitHub's deployment states (lib/domain/deploymentHistory maps them onto our lifecycle). */
export type GithubState = (typeof GITHUB_STATES)[number];

export const ghCreateStatusBody = typed({
  type: 'object',
  properties: {
    state: { type: 'string', enum: GITHUB_STATES },
    target_url: url,
    log_url: url,
    description: { anyOf: [{ type: 'string', maxLength: 140 }, { type: 'null' }] },
    environment: { type: 'string', maxLength: 100 },
    environment_url: url,
    auto_inactive: { type: 'boolean' },
  },
  required: ['state'],
  additionalProperties: false,
} as const);

/** GitHub's answers are GitHub's objects (see its REST documentation); the API document does not describe them. */
export const githubObject = { type: 'object' } as const;
