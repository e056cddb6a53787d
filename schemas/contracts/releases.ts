import { pageOf, repoParams } from '../common';
import { contract } from '../contract';
import { releaseNotes, releaseNotesBody } from '../releaseNotes';
import {
  createReleaseBody,
  latestReleaseQuery,
  listReleasesQuery,
  release,
  releaseRefParams,
  releaseSummary,
  updateReleaseBody,
} from '../releases';

/** The routes of releases. */
export const releases = {
  createRelease: contract({
    method: 'POST',
    path: '/api/v1/repos/{repo}/releases',
    scope: 'release',
    access: 'repo',
    params: repoParams,
    body: createReleaseBody,
    summary:
      'Publish a release (or keep it a draft): a SemVer version, Markdown notes and its artifacts, all or nothing',
    success: { status: 201, schema: release },
    problems: [409],
  }),
  draftReleaseNotes: contract({
    method: 'POST',
    path: '/api/v1/repos/{repo}/releases/notes',
    scope: 'read',
    access: 'repo',
    params: repoParams,
    body: releaseNotesBody,
    summary:
      "Release notes and the next version from the repo's git history since the previous release (writes nothing)",
    success: { status: 200, schema: releaseNotes },
    problems: [409],
  }),
  listReleases: contract({
    method: 'GET',
    path: '/api/v1/repos/{repo}/releases',
    scope: 'read',
    access: 'repo',
    params: repoParams,
    query: listReleasesQuery,
    summary: "List a repo's releases, newest first or by SemVer, filtered by pre-release and version range",
    success: { status: 200, schema: pageOf(releaseSummary) },
  }),
  getRelease: contract({
    method: 'GET',
    path: '/api/v1/repos/{repo}/releases/{id}',
    scope: 'read',
    access: 'repo',
    params: releaseRefParams,
    summary: 'Get a release by id or version, with its artifacts and newest deployments',
    success: { status: 200, schema: release },
  }),
  getLatestRelease: contract({
    method: 'GET',
    path: '/api/v1/repos/{repo}/releases/latest',
    scope: 'read',
    access: 'repo',
    params: repoParams,
    query: latestReleaseQuery,
    summary: 'Get the release with the highest SemVer precedence',
    success: { status: 200, schema: release },
  }),
  updateRelease: contract({
    method: 'PATCH',
    path: '/api/v1/repos/{repo}/releases/{id}',
    scope: 'release',
    access: 'repo',
    params: releaseRefParams,
    body: updateReleaseBody,
    summary: "Change a release's title and notes; a draft's version, commit and artifacts too; publish a draft",
    success: { status: 200, schema: release },
  }),
  deleteRelease: contract({
    method: 'DELETE',
    path: '/api/v1/repos/{repo}/releases/{id}',
    scope: 'release',
    access: 'repo',
    params: releaseRefParams,
    summary: 'Delete a release that has never been deployed (its artifacts stay in the repo)',
    success: { status: 204, schema: null },
    problems: [409],
  }),
};
