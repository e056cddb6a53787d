import { health } from '../common';
import { contract } from '../contract';

/** The routes of site. */
export const site = {
  health: contract({
    method: 'GET',
    path: '/api/v1/health',
    scope: 'public',
    summary: 'Check that the API and its database answer',
    success: { status: 200, schema: health },
  }),
  openapi: contract({
    method: 'GET',
    path: '/api/v1/openapi.json',
    scope: 'public',
    summary: 'This API as an OpenAPI 3.1 document',
    success: { status: 200, schema: { type: 'object' } },
  }),
  dashboard: contract({
    method: 'GET',
    path: '/',
    scope: 'public',
    summary: 'The release dashboard (an HTML page)',
    success: { status: 200, schema: null },
  }),
  dashboardScript: contract({
    method: 'GET',
    path: '/dashboard.js',
    scope: 'public',
    summary: "The release dashboard's script",
    success: { status: 200, schema: null },
  }),
};
