import { feed, feedPageJson } from '../lib/domain/feed';
import { repoForMember } from '../lib/domain/repos';
import { http, okJson } from '../lib/http';
import { db } from '../lib/infra/db';
import { repoParams } from '../schemas/common';
import { feedPage, feedQuery } from '../schemas/events';

/** GET /api/v1/repos/{repo}/events: the repo's events, oldest first after a cursor, gap-free; may long-poll. */
export const handler = http(
  {
    params: repoParams,
    query: feedQuery,
    scope: 'read',
    route: 'GET /api/v1/repos/{repo}/events',
    summary: "Read a repo's events oldest first after a cursor (gap-free; wait= long-polls up to 30 s)",
    success: { status: 200, schema: feedPage },
  },
  async ({ params, query, user, remainingMs }) => {
    const repo = await repoForMember(db(), params.repo, user);
    return okJson(
      feedPageJson(await feed(db(), { kind: 'repo', id: repo.id, orgId: repo.orgId }, query, remainingMs())),
    );
  },
);
