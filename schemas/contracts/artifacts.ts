import {
  artifact,
  artifactParams,
  listArtifactsQuery,
  MAX_UPLOAD_BYTES,
  registerArtifactBody,
  uploadArtifactQuery,
} from '../artifacts';
import { pageOf, repoParams } from '../common';
import { contract } from '../contract';

/** The routes of artifacts. */
export const artifacts = {
  createArtifact: contract({
    method: 'POST',
    path: '/api/v1/repos/{repo}/artifacts',
    scope: 'release',
    access: 'repo',
    params: repoParams,
    query: uploadArtifactQuery,
    body: registerArtifactBody,
    raw: { contentType: 'application/octet-stream', maxBytes: MAX_UPLOAD_BYTES },
    summary: 'Register a file on the artifacts volume (JSON), or upload one (application/octet-stream, ?name=)',
    success: { status: 201, schema: artifact },
  }),
  listArtifacts: contract({
    method: 'GET',
    path: '/api/v1/repos/{repo}/artifacts',
    scope: 'read',
    access: 'repo',
    params: repoParams,
    query: listArtifactsQuery,
    summary: "List a repo's artifacts, newest first",
    success: { status: 200, schema: pageOf(artifact) },
  }),
  getArtifact: contract({
    method: 'GET',
    path: '/api/v1/repos/{repo}/artifacts/{id}',
    scope: 'read',
    access: 'repo',
    params: artifactParams,
    summary: 'Get an artifact',
    success: { status: 200, schema: artifact },
  }),
  downloadArtifact: contract({
    method: 'GET',
    path: '/api/v1/repos/{repo}/artifacts/{id}/content',
    scope: 'read',
    access: 'repo',
    params: artifactParams,
    summary: "Download an artifact's file (Range, If-None-Match and If-Range honoured)",
    success: { status: 200, schema: null },
    download: true,
    problems: [409, 413, 416],
  }),
  deleteArtifact: contract({
    method: 'DELETE',
    path: '/api/v1/repos/{repo}/artifacts/{id}',
    scope: 'release',
    access: 'repo',
    params: artifactParams,
    summary: 'Delete an artifact and its links to releases, until a release holding it is deployed',
    success: { status: 204, schema: null },
    problems: [409],
  }),
};
