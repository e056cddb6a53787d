import { listEnvironments } from '../lib/domain/environments';
import { Convert } from '../lib/github/convert';
import { githubPage, pageLinks } from '../lib/github/request';
import { http, ok } from '../lib/http';
import { db } from '../lib/infra/db';
import { github } from '../schemas/contracts/github';
import type { Environment } from '../schemas/environments';

/** GET /api/v3/repos/{owner}/{repo}/environments: GitHub's list environments: the org's, in pipeline order. */
export const handler = http(github.ghListEnvironments, async ({ query, path, origin, repo }) => {
  const page = githubPage(query);
  // an org has a handful of environments: all of them, then GitHub's page of them
  const all: Environment[] = [];
  for (let cursor: string | undefined, more = true; more; ) {
    const list = await listEnvironments(db(), repo.orgId, { limit: 100, cursor });
    all.push(...list.items);
    [cursor, more] = [list.nextCursor ?? undefined, list.nextCursor !== null];
  }
  const items = all.slice(page.offset, page.offset + page.limit);
  const convert = await Convert.of(db(), origin, repo, { environments: items });
  return ok(
    { total_count: all.length, environments: items.map((environment) => convert.environment(environment)) },
    pageLinks(origin, path, query, page, { total: all.length }),
  );
});
