import { MAX_UPLOAD_BYTES } from '../artifacts';
import { type Audience, type Contract, contract } from '../contract';
import {
  ghAssetParams,
  ghCreateDeploymentBody,
  ghCreateReleaseBody,
  ghCreateStatusBody,
  ghDeploymentParams,
  ghEnvironmentParams,
  ghGenerateNotesBody,
  ghListDeploymentsQuery,
  ghPageQuery,
  ghReleaseParams,
  ghReleasesQuery,
  ghRepoParams,
  ghTagParams,
  ghUpdateReleaseBody,
  ghUploadAssetQuery,
  githubObject,
} from '../github';

/**
 * A route of the GitHub-compatible surface, on a repo named `{owner}/{repo}` (its org's slug and its name, which only
 * its org's members see): `docs` its page under https://docs.github.com/rest/, `resource` what its field errors are
 * about; it answers GitHub's object, 201 to a POST, and nothing (204) to a DELETE.
 */
function route<P = undefined, Q = undefined, B = undefined, const S extends Audience = Audience>(
  docs: string,
  resource: string,
  spec: Omit<Contract<P, Q, B, S, 'repo'>, 'github' | 'success' | 'access'>,
): Contract<P, Q, B, S, 'repo'> {
  const success =
    spec.method === 'DELETE'
      ? { status: 204, schema: null }
      : { status: spec.method === 'POST' ? 201 : 200, schema: githubObject };
  const github = { docs: `https://docs.github.com/rest/${docs}`, resource };
  return contract({ ...spec, success, github, access: 'repo' });
}

/** The routes of github. */
export const github = {
  ghCreateDeployment: route('deployments/deployments#create-a-deployment', 'Deployment', {
    method: 'POST',
    path: '/api/v3/repos/{owner}/{repo}/deployments',
    scope: 'deploy',
    params: ghRepoParams,
    body: ghCreateDeploymentBody,
    summary: 'GitHub: create a deployment',
  }),
  ghCreateDeploymentStatus: route('deployments/statuses#create-a-deployment-status', 'DeploymentStatus', {
    method: 'POST',
    path: '/api/v3/repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
    scope: 'deploy',
    params: ghDeploymentParams,
    body: ghCreateStatusBody,
    summary: 'GitHub: create a deployment status',
  }),
  ghCreateRelease: route('releases/releases#create-a-release', 'Release', {
    method: 'POST',
    path: '/api/v3/repos/{owner}/{repo}/releases',
    scope: 'release',
    params: ghRepoParams,
    body: ghCreateReleaseBody,
    summary: 'GitHub: create a release',
  }),
  ghGenerateReleaseNotes: {
    // GitHub answers 200: the notes are made, not stored
    ...route('releases/releases#generate-release-notes-content-for-a-release', 'Release', {
      method: 'POST',
      path: '/api/v3/repos/{owner}/{repo}/releases/generate-notes',
      scope: 'read',
      params: ghRepoParams,
      body: ghGenerateNotesBody,
      summary: "GitHub: generate release notes content for a release, from the repo's git history (writes nothing)",
      problems: [409],
    }),
    success: { status: 200, schema: githubObject },
  },
  ghGetDeployment: route('deployments/deployments#get-a-deployment', 'Deployment', {
    method: 'GET',
    path: '/api/v3/repos/{owner}/{repo}/deployments/{deployment_id}',
    scope: 'read',
    params: ghDeploymentParams,
    summary: 'GitHub: get a deployment',
  }),
  ghGetEnvironment: route('deployments/environments#get-an-environment', 'Environment', {
    method: 'GET',
    path: '/api/v3/repos/{owner}/{repo}/environments/{environment_name}',
    scope: 'read',
    params: ghEnvironmentParams,
    summary: 'GitHub: get an environment',
  }),
  ghGetLatestRelease: route('releases/releases#get-the-latest-release', 'Release', {
    method: 'GET',
    path: '/api/v3/repos/{owner}/{repo}/releases/latest',
    scope: 'read',
    params: ghRepoParams,
    summary: 'GitHub: get the latest release',
  }),
  ghGetRelease: route('releases/releases#get-a-release', 'Release', {
    method: 'GET',
    path: '/api/v3/repos/{owner}/{repo}/releases/{release_id}',
    scope: 'read',
    params: ghReleaseParams,
    summary: 'GitHub: get a release',
  }),
  ghGetReleaseAsset: route('releases/assets#get-a-release-asset', 'ReleaseAsset', {
    method: 'GET',
    path: '/api/v3/repos/{owner}/{repo}/releases/assets/{asset_id}',
    scope: 'read',
    params: ghAssetParams,
    summary: 'GitHub: get a release asset, or download it with Accept: application/octet-stream',
  }),
  ghGetReleaseByTag: route('releases/releases#get-a-release-by-tag-name', 'Release', {
    method: 'GET',
    path: '/api/v3/repos/{owner}/{repo}/releases/tags/{tag}',
    scope: 'read',
    params: ghTagParams,
    summary: 'GitHub: get a release by tag name',
  }),
  ghListDeploymentStatuses: route('deployments/statuses#list-deployment-statuses', 'DeploymentStatus', {
    method: 'GET',
    path: '/api/v3/repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
    scope: 'read',
    params: ghDeploymentParams,
    query: ghPageQuery,
    summary: 'GitHub: list deployment statuses',
  }),
  ghListDeployments: route('deployments/deployments#list-deployments', 'Deployment', {
    method: 'GET',
    path: '/api/v3/repos/{owner}/{repo}/deployments',
    scope: 'read',
    params: ghRepoParams,
    query: ghListDeploymentsQuery,
    summary: 'GitHub: list deployments',
  }),
  ghListEnvironments: route('deployments/environments#list-environments', 'Environment', {
    method: 'GET',
    path: '/api/v3/repos/{owner}/{repo}/environments',
    scope: 'read',
    params: ghRepoParams,
    query: ghPageQuery,
    summary: 'GitHub: list environments',
  }),
  ghListReleaseAssets: route('releases/assets#list-release-assets', 'ReleaseAsset', {
    method: 'GET',
    path: '/api/v3/repos/{owner}/{repo}/releases/{release_id}/assets',
    scope: 'read',
    params: ghReleaseParams,
    query: ghPageQuery,
    summary: 'GitHub: list release assets',
  }),
  ghListReleases: route('releases/releases#list-releases', 'Release', {
    method: 'GET',
    path: '/api/v3/repos/{owner}/{repo}/releases',
    scope: 'read',
    params: ghRepoParams,
    query: ghReleasesQuery,
    summary: 'GitHub: list releases',
  }),
  ghUpdateRelease: route('releases/releases#update-a-release', 'Release', {
    method: 'PATCH',
    path: '/api/v3/repos/{owner}/{repo}/releases/{release_id}',
    scope: 'release',
    params: ghReleaseParams,
    body: ghUpdateReleaseBody,
    summary: 'GitHub: update a release (publish a draft with draft: false)',
  }),
  ghDeleteRelease: route('releases/releases#delete-a-release', 'Release', {
    method: 'DELETE',
    path: '/api/v3/repos/{owner}/{repo}/releases/{release_id}',
    scope: 'release',
    params: ghReleaseParams,
    summary: 'GitHub: delete a release that has never been deployed',
    problems: [409],
  }),
  ghDeleteReleaseAsset: route('releases/assets#delete-a-release-asset', 'ReleaseAsset', {
    method: 'DELETE',
    path: '/api/v3/repos/{owner}/{repo}/releases/assets/{asset_id}',
    scope: 'release',
    params: ghAssetParams,
    summary: "GitHub: delete a release asset, until its release's first deployment",
    problems: [409],
  }),
  ghUploadReleaseAsset: route('releases/assets#upload-a-release-asset', 'ReleaseAsset', {
    method: 'POST',
    path: '/api/uploads/repos/{owner}/{repo}/releases/{release_id}/assets',
    scope: 'release',
    params: ghReleaseParams,
    query: ghUploadAssetQuery,
    raw: { contentType: '*', maxBytes: MAX_UPLOAD_BYTES },
    summary: 'GitHub: upload a release asset',
  }),
};
