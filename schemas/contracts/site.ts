import { health, readiness } from '../common';
import { contract } from '../contract';

/** The routes of site. */
export const site = {
  health: contract({
    method: 'GET',
    path: '/api/v1/health',
    scope: 'public',
    summary: 'Liveness: the API and its database answer (cheap: one SELECT 1)',
    success: { status: 200, schema: health },
  }),
  healthReady: contract({
    method: 'GET',
    path: '/api/v1/health/ready',
    scope: 'public',
    summary:
      'Check that this process can serve: the database answers, migrations are current, the artifacts volume is writable, the LISTEN connection is up',
    success: { status: 200, schema: readiness },
    problems: [503],
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
