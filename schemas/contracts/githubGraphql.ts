import { contract } from '../contract';
import { githubObject } from '../github';
import { ghGraphqlBody } from '../githubGraphql';

/** GitHub's GraphQL endpoint, the subset its clients ask of releases (lib/http/githubGraphql.ts). */
export const githubGraphql = {
  ghGraphql: contract({
    method: 'POST',
    path: '/api/graphql',
    scope: 'read',
    body: ghGraphqlBody,
    idempotent: false,
    summary: "GitHub: GraphQL (a repository's releases, a release by tag, its assets, the viewer)",
    success: { status: 200, schema: githubObject },
    github: { docs: 'https://docs.github.com/graphql', resource: 'GraphQL' },
  }),
};
