import { typed } from './typed';

/** The parameters of the GitHub surface's first calls: a person by login, one status of a deployment by id. */

const name = { type: 'string', minLength: 1, maxLength: 100 } as const;
const integerId = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } as const;

export const ghUserParams = typed({
  type: 'object',
  properties: { login: name },
  required: ['login'],
  additionalProperties: false,
} as const);

export const ghStatusParams = typed({
  type: 'object',
  properties: { owner: name, repo: name, deployment_id: integerId, status_id: integerId },
  required: ['owner', 'repo', 'deployment_id', 'status_id'],
  additionalProperties: false,
} as const);
