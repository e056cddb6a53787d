import fs from 'node:fs';
import { validate } from '@readme/openapi-parser';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { endpoints, handler } from '../../functions/openapi';
import { invoke } from '../helpers/events';

const declared = YAML.parse(fs.readFileSync('serverless.yml', 'utf8')).functions as Record<
  string,
  { events: Array<{ httpApi: { method: string; path: string } }> }
>;

describe('the OpenAPI document', () => {
  it('is served without a token', async () => {
    const res = await invoke(handler, {});
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const { body } = await invoke(handler, {});
    const result = await validate(structuredClone(body));
    expect(result.valid ? [] : result.errors).toEqual([]);
  });

  it('describes every function of serverless.yml at the route serverless.yml gives it, and nothing else', async () => {
    const { body } = await invoke(handler, {});
    const documented = Object.entries(body.paths as Record<string, Record<string, { operationId: string }>>).flatMap(
      ([path, operations]) =>
        Object.entries(operations).map(([method, op]) => `${op.operationId} ${method.toUpperCase()} ${path}`),
    );
    // the dashboard's page and script (GET /, GET /dashboard.js) are served beside the API, not part of it
    const routes = Object.entries(declared)
      .filter(([name, fn]) => name !== 'openapi' && fn.events[0]!.httpApi.path.startsWith('/api/v1/'))
      .map(([name, fn]) => `${name} ${fn.events[0]!.httpApi.method} ${fn.events[0]!.httpApi.path}`);
    expect(documented.sort()).toEqual(routes.sort());
    for (const [name, endpoint] of Object.entries(endpoints)) {
      const event = declared[name]!.events[0]!.httpApi;
      expect(endpoint.api.route).toBe(`${event.method} ${event.path}`);
    }
  });
});
