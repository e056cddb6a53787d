import { feed, feedPageJson } from '../lib/domain/feed';
import { http, okJson } from '../lib/http';
import { db } from '../lib/infra/db';
import { events } from '../schemas/contracts/events';

/** GET /api/v1/repos/{repo}/events: the repo's events, oldest first after a cursor, gap-free; may long-poll. */
export const handler = http(events.repoEvents, async ({ query, remainingMs, repo }) => {
  return okJson(feedPageJson(await feed(db(), { kind: 'repo', id: repo.id, orgId: repo.orgId }, query, remainingMs())));
});
