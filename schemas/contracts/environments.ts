import { pageOf, repoParams } from '../common';
import { contract } from '../contract';
import { deployment, environmentHistoryQuery, rollbackBody } from '../deployments';
import {
  createEnvironmentBody,
  environment,
  environmentParams,
  listEnvironmentsQuery,
  orgParams,
  repoEnvironment,
  repoEnvironmentParams,
  updateEnvironmentBody,
} from '../environments';

/** The routes of environments. */
export const environments = {
  listOrgEnvironments: contract({
    method: 'GET',
    path: '/api/v1/orgs/{org}/environments',
    scope: 'read',
    params: orgParams,
    query: listEnvironmentsQuery,
    summary: "List an org's environments by name ({org} is its id or slug)",
    success: { status: 200, schema: pageOf(environment) },
  }),
  createEnvironment: contract({
    method: 'POST',
    path: '/api/v1/orgs/{org}/environments',
    scope: 'admin',
    params: orgParams,
    body: createEnvironmentBody,
    summary: 'Create an environment of an org (release managers only; names are unique in the org)',
    success: { status: 201, schema: environment },
    problems: [403],
  }),
  getEnvironment: contract({
    method: 'GET',
    path: '/api/v1/orgs/{org}/environments/{environment}',
    scope: 'read',
    params: environmentParams,
    summary: 'Get an environment of an org by id or name',
    success: { status: 200, schema: environment },
  }),
  updateEnvironment: contract({
    method: 'PATCH',
    path: '/api/v1/orgs/{org}/environments/{environment}',
    scope: 'admin',
    params: environmentParams,
    body: updateEnvironmentBody,
    summary:
      "Change an environment's position, requires, requiredApprovals or protection (release managers; requires must not make a cycle)",
    success: { status: 200, schema: environment },
    problems: [403, 422],
  }),
  repoEnvironments: contract({
    method: 'GET',
    path: '/api/v1/repos/{repo}/environments',
    scope: 'read',
    access: 'repo',
    params: repoParams,
    query: listEnvironmentsQuery,
    summary: "What runs where: the org's environments, each with the repo's newest successful deployment there",
    success: { status: 200, schema: pageOf(repoEnvironment) },
  }),
  environmentHistory: contract({
    method: 'GET',
    path: '/api/v1/repos/{repo}/environments/{environment}/deployments',
    scope: 'read',
    access: 'repo',
    params: repoEnvironmentParams,
    query: environmentHistoryQuery,
    summary: "An environment's deployments of the repo, newest first, filtered by status and kind",
    success: { status: 200, schema: pageOf(deployment) },
  }),
  rollbackEnvironment: contract({
    method: 'POST',
    path: '/api/v1/repos/{repo}/environments/{environment}/rollback',
    scope: 'deploy',
    access: 'repo',
    params: repoEnvironmentParams,
    body: rollbackBody,
    summary:
      'Roll an environment back to the release that ran there before the current one (or to `to`): records a deployment of kind rollback',
    success: { status: 201, schema: deployment },
    problems: [403, 409, 422],
  }),
};
