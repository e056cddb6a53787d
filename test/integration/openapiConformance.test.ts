import { describe, expect, it } from 'vitest';
import { handler } from '../../functions/openapi';
import { invoke } from '../helpers/events';
import { conformanceChecker } from '../helpers/openapiConformance';

const problem = { type: 'about:blank', title: 'Bad Request', status: 400, detail: 'x' };

async function servedChecker() {
  return conformanceChecker((await invoke(handler, {})).body);
}

describe('the conformance check the e2e tests apply to every response', () => {
  it('accepts a documented response and names what is wrong with one that is not', async () => {
    const check = await servedChecker();
    expect(check('GET', '/api/v1/health', 200, 'application/json', { status: 'ok', version: '1.2.3' })).toBeNull();
    expect(
      check('GET', '/api/v1/health', 200, 'application/json', { status: 'ok', version: '1.2.3', extra: 1 }),
    ).toMatch(/additional properties/);
    expect(check('POST', '/api/v1/repos/x/releases', 400, 'application/problem+json', problem)).toBeNull();
    expect(check('POST', '/api/v1/repos/x/releases', 400, 'application/json', {})).toMatch(
      /answered application\/json/,
    );
    expect(check('GET', '/api/v1/repos/x/releases/latest', 200, 'application/json', { id: 1 })).toMatch(
      /releases\/latest/,
    );
  });

  it('fails a path that matches no route of the document', async () => {
    const check = await servedChecker();
    expect(check('GET', '/nowhere', 404, 'application/problem+json', { ...problem, status: 404 })).toMatch(
      /GET \/nowhere matches no route/,
    );
  });

  it('fails a method the document does not have on a route it has', async () => {
    const check = await servedChecker();
    expect(check('DELETE', '/api/v1/health', 200, 'application/json', { status: 'ok', version: '1.2.3' })).toMatch(
      /DELETE \/api\/v1\/health is not an operation/,
    );
  });

  it('fails a status the document does not list for the operation', async () => {
    const check = await servedChecker();
    expect(check('GET', '/api/v1/health', 418, 'application/json', {})).toMatch(
      /418, which the document does not list/,
    );
  });

  it('fails every 5xx, even one the document lists with a matching problem body', async () => {
    const check = await servedChecker();
    const unavailable = { type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'retry' };
    expect(check('GET', '/api/v1/health', 503, 'application/problem+json', unavailable)).toMatch(/5xx is never/);
    const bug = { type: 'about:blank', title: 'Internal Server Error', status: 500, detail: 'request id' };
    expect(check('GET', '/api/v1/health', 500, 'application/problem+json', bug)).toMatch(/5xx is never/);
  });

  it('fails a response without a body where the document declares content', async () => {
    const check = await servedChecker();
    expect(check('GET', '/api/v1/health', 200, null, undefined)).toMatch(/has no body, the document says it has one/);
    expect(check('GET', '/api/v1/health', 200, 'application/json', '')).toMatch(/has no body/);
  });

  it('accepts a response without a body only where the document declares no content', () => {
    const check = conformanceChecker({
      paths: {
        '/api/v1/things/{id}': {
          delete: { responses: { '204': {} } },
          get: { responses: { '200': { content: { 'application/json': { schema: { type: 'object' } } } } } },
        },
      },
      components: { schemas: {} },
    });
    expect(check('DELETE', '/api/v1/things/1', 204, null, undefined)).toBeNull();
    expect(check('DELETE', '/api/v1/things/1', 204, 'application/json', { id: 1 })).toMatch(
      /has a body, the document says no content/,
    );
    expect(check('GET', '/api/v1/things/1', 200, null, undefined)).toMatch(/has no body/);
  });
});
