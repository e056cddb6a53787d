import { pageOf } from '../common';
import { contract } from '../contract';
import {
  cancelBody,
  createDeploymentBody,
  deployment,
  deploymentDetail,
  deploymentParams,
  finishDeploymentBody,
  listDeploymentsQuery,
  reviewBody,
} from '../deployments';
import { releaseRefParams } from '../releases';

/** The routes of deployments. */
export const deployments = {
  createDeployment: contract({
    method: 'POST',
    path: '/api/v1/repos/{repo}/releases/{id}/deployments',
    scope: 'deploy',
    access: 'repo',
    params: releaseRefParams,
    body: createDeploymentBody,
    summary: 'Record a deployment of a release to an environment (protected ones need a release manager)',
    success: { status: 201, schema: deployment },
    problems: [403],
  }),
  listDeployments: contract({
    method: 'GET',
    path: '/api/v1/repos/{repo}/releases/{id}/deployments',
    scope: 'read',
    access: 'repo',
    params: releaseRefParams,
    query: listDeploymentsQuery,
    summary: "List a release's deployments, newest first, filtered by environment (id or name) and status",
    success: { status: 200, schema: pageOf(deployment) },
  }),
  getDeployment: contract({
    method: 'GET',
    path: '/api/v1/deployments/{id}',
    scope: 'read',
    params: deploymentParams,
    summary: 'Get a deployment with its release, environment and reviews',
    success: { status: 200, schema: deploymentDetail },
  }),
  finishDeployment: contract({
    method: 'PATCH',
    path: '/api/v1/deployments/{id}',
    scope: 'deploy',
    params: deploymentParams,
    body: finishDeploymentBody,
    summary: 'Finish an in_progress deployment as success or failed (once; anything else is 409)',
    success: { status: 200, schema: deployment },
    problems: [403],
  }),
  reviewDeployment: contract({
    method: 'POST',
    path: '/api/v1/deployments/{id}/reviews',
    scope: 'deploy',
    params: deploymentParams,
    body: reviewBody,
    summary:
      'Approve or reject a waiting deployment (a release manager of its org, not its requester, once); answers the deployment with its reviews',
    success: { status: 201, schema: deploymentDetail },
    problems: [403, 409],
  }),
  cancelDeployment: contract({
    method: 'POST',
    path: '/api/v1/deployments/{id}/cancel',
    scope: 'deploy',
    params: deploymentParams,
    body: cancelBody,
    summary: 'Cancel a deployment that is waiting for approvals (its requester only); body {} or { reason }',
    success: { status: 200, schema: deploymentDetail },
    problems: [403, 409],
  }),
};
