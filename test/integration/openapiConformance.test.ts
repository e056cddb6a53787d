import { describe, expect, it } from 'vitest';
import { handler } from '../../functions/openapi';
import { invoke } from '../helpers/events';
import { conformanceChecker } from '../helpers/openapiConformance';

describe('the conformance check the e2e tests apply to every response', () => {
  it('accepts a documented response and names what is wrong with one that is not', async () => {
    const check = conformanceChecker((await invoke(handler, {})).body);
    expect(check('GET', '/api/v1/health', 200, 'application/json', { status: 'ok' })).toBeNull();
    expect(check('GET', '/api/v1/health', 200, 'application/json', { status: 'ok', extra: 1 })).toMatch(
      /additional properties/,
    );
    expect(check('GET', '/api/v1/health', 418, 'application/json', {})).toMatch(/does not list/);
    expect(
      check('POST', '/api/v1/repos/x/releases', 400, 'application/problem+json', {
        type: 'about:blank',
        title: 'Bad Request',
        status: 400,
        detail: 'x',
      }),
    ).toBeNull();
    expect(check('POST', '/api/v1/repos/x/releases', 400, 'application/json', {})).toMatch(
      /answered application\/json/,
    );
    expect(check('GET', '/api/v1/repos/x/releases/latest', 200, 'application/json', { id: 1 })).toMatch(
      /releases\/latest/,
    );
    expect(check('GET', '/nowhere', 404, 'application/json', {})).toBeNull();
  });
});
