import { repoParams } from '../common';
import { contract } from '../contract';
import { feedPage, feedQuery, orgFeedParams } from '../events';

/** The routes of events. */
export const events = {
  repoEvents: contract({
    method: 'GET',
    path: '/api/v1/repos/{repo}/events',
    scope: 'read',
    access: 'repo',
    params: repoParams,
    query: feedQuery,
    summary: "Read a repo's events oldest first after a cursor (gap-free; wait= long-polls up to 30 s)",
    success: { status: 200, schema: feedPage },
  }),
  orgEvents: contract({
    method: 'GET',
    path: '/api/v1/orgs/{org}/events',
    scope: 'read',
    params: orgFeedParams,
    query: feedQuery,
    summary: "Read an org's events, all its repos and environments, oldest first after a cursor ({org}: id or slug)",
    success: { status: 200, schema: feedPage },
  }),
};
