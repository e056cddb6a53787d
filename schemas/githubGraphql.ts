import { typed } from './typed';

/** A GraphQL request as GitHub's GraphQL API takes it (POST /api/graphql). */
export const ghGraphqlBody = typed({
  type: 'object',
  properties: {
    query: { type: 'string', minLength: 1, maxLength: 20_000 },
    variables: { anyOf: [{ type: 'object' }, { type: 'null' }] },
    operationName: { anyOf: [{ type: 'string', maxLength: 200 }, { type: 'null' }] },
  },
  required: ['query'],
  additionalProperties: false,
} as const);
