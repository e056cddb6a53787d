import { pageOf } from '../common';
import { contract } from '../contract';
import { listReposQuery, memberRepo, repoByNameParams } from '../repos';

/** The routes of repos. */
export const repos = {
  listRepos: contract({
    method: 'GET',
    path: '/api/v1/repos',
    scope: 'read',
    query: listReposQuery,
    summary: "List the repos of the caller's orgs, by org and name, with the caller's role in each org",
    success: { status: 200, schema: pageOf(memberRepo) },
  }),
  getRepoByName: contract({
    method: 'GET',
    path: '/api/v1/orgs/{org}/repos/{name}',
    scope: 'read',
    params: repoByNameParams,
    summary: 'Get a repo by its org (id or slug) and name, as CLIs name it (org/name)',
    success: { status: 200, schema: memberRepo },
  }),
};
