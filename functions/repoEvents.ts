import { releaseVisibility } from '../lib/domain/access';
import { feed, feedPageJson } from '../lib/domain/feed';
import { stillMember } from '../lib/domain/identity';
import { http, okJson } from '../lib/http';
import { db } from '../lib/infra/db';
import { NotFound } from '../lib/infra/errors';
import { events } from '../schemas/contracts/events';

/** GET /api/v1/repos/{repo}/events: the repo's events, oldest first after a cursor, gap-free; may long-poll. */
export const handler = http(events.repoEvents, async ({ query, remainingMs, repo, user }) => {
  // a long poll that lost its token or its membership while it waited answers nothing from the repo
  const recheck = async () => {
    if (!(await stillMember(db(), user, repo.orgId))) throw new NotFound(`Repo ${repo.id} was not found`);
  };
  const scope = { kind: 'repo', id: repo.id } as const;
  const asked = { ...query, ...releaseVisibility(user) };
  return okJson(feedPageJson(await feed(db(), scope, asked, remainingMs(), recheck)));
});
