import { http, ok } from '../lib/http';
import { runGithubGraphql } from '../lib/http/githubGraphql';
import { githubGraphql } from '../schemas/contracts/githubGraphql';

/** POST /api/graphql: GitHub's GraphQL API, the releases subset its clients ask; errors are answers, not failures. */
export const handler = http(githubGraphql.ghGraphql, async ({ body, user, origin }) =>
  ok(await runGithubGraphql(body, { user, origin })),
);
