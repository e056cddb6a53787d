import { contract } from '../contract';
import { ghRepoParams, githubObject } from '../github';
import { ghStatusParams, ghUserParams } from '../githubAccounts';

/** The routes of the GitHub surface its clients call first: the root, who the token is, a person, a repository. */
export const githubAccounts = {
  ghRoot: contract({
    method: 'GET',
    path: '/api/v3',
    scope: 'public',
    summary: "GitHub: the API's root document (its URL templates)",
    success: { status: 200, schema: githubObject },
    github: { docs: 'https://docs.github.com/rest/meta/meta#github-api-root', resource: 'Root' },
  }),
  ghGetAuthenticatedUser: contract({
    method: 'GET',
    path: '/api/v3/user',
    scope: 'read',
    summary: 'GitHub: get the authenticated user',
    success: { status: 200, schema: githubObject },
    github: { docs: 'https://docs.github.com/rest/users/users#get-the-authenticated-user', resource: 'User' },
  }),
  ghGetUser: contract({
    method: 'GET',
    path: '/api/v3/users/{login}',
    scope: 'read',
    params: ghUserParams,
    summary: 'GitHub: get a user (one who shares an org with the caller)',
    success: { status: 200, schema: githubObject },
    github: { docs: 'https://docs.github.com/rest/users/users#get-a-user', resource: 'User' },
  }),
  ghGetRepo: contract({
    method: 'GET',
    path: '/api/v3/repos/{owner}/{repo}',
    scope: 'read',
    access: 'repo',
    params: ghRepoParams,
    summary: 'GitHub: get a repository, with the permissions of the caller',
    success: { status: 200, schema: githubObject },
    github: { docs: 'https://docs.github.com/rest/repos/repos#get-a-repository', resource: 'Repository' },
  }),
  ghGetDeploymentStatus: contract({
    method: 'GET',
    path: '/api/v3/repos/{owner}/{repo}/deployments/{deployment_id}/statuses/{status_id}',
    scope: 'read',
    access: 'repo',
    params: ghStatusParams,
    summary: 'GitHub: get a deployment status',
    success: { status: 200, schema: githubObject },
    github: {
      docs: 'https://docs.github.com/rest/deployments/statuses#get-a-deployment-status',
      resource: 'DeploymentStatus',
    },
  }),
};
