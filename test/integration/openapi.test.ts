import fs from 'node:fs';
import { validate } from '@readme/openapi-parser';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { documented, handler } from '../../functions/openapi';
import { invoke } from '../helpers/events';

const declared = YAML.parse(fs.readFileSync('serverless.yml', 'utf8')).functions as Record<
  string,
  { events: Array<{ httpApi?: { method: string; path: string } }> }
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

  it('describes what a webhook receiver gets: the event as JSON with the delivery headers', async () => {
    const { body } = await invoke(handler, {});
    const operation = body.webhooks.event.post;
    expect(operation.parameters.map((p: { name: string; in: string }) => `${p.in} ${p.name}`)).toEqual([
      'header X-GitWeave-Event',
      'header X-GitWeave-Delivery',
      'header X-GitWeave-Signature-256',
      'header User-Agent',
    ]);
    expect(operation.requestBody.content['application/json'].schema.required).toEqual(
      expect.arrayContaining(['id', 'type', 'occurredAt', 'actor', 'org', 'repo', 'resource']),
    );
  });

  it('describes every function of serverless.yml at the route serverless.yml gives it, and nothing else', async () => {
    const { body } = await invoke(handler, {});
    const operations = Object.entries(body.paths as Record<string, Record<string, { operationId: string }>>).flatMap(
      ([path, operations]) =>
        Object.entries(operations).map(([method, op]) => `${op.operationId} ${method.toUpperCase()} ${path}`),
    );
    // the dashboard's page and script (GET /, GET /dashboard.js) are served beside the API, not part of it
    // functions without a route (the scheduled webhook deliverer) are not endpoints
    const routes = Object.entries(declared)
      .filter(([name, fn]) => name !== 'openapi' && fn.events[0]!.httpApi?.path.startsWith('/api/v1/'))
      .map(([name, fn]) => `${name} ${fn.events[0]!.httpApi!.method} ${fn.events[0]!.httpApi!.path}`);
    expect(operations.sort()).toEqual(routes.sort());
  });

  it('names the scope each operation needs, as its contract declares it, and lists 403 for it', async () => {
    const { body } = await invoke(handler, {});
    const operations = Object.values(body.paths as Record<string, Record<string, Operation>>).flatMap((ops) =>
      Object.values(ops),
    );
    const byId = Object.fromEntries(operations.map((op) => [op.operationId, op]));
    expect(byId.health!.security).toEqual([]);
    expect(byId.createRelease!.security).toEqual([{ bearer: ['release'] }]);
    expect(byId.createToken!.security).toEqual([{ bearer: [] }]);
    for (const [name, contract] of Object.entries(documented)) {
      const { scope } = contract;
      if (!scope || scope === 'public') continue;
      expect([name, byId[name]!.security, byId[name]!['x-required-scope']]).toEqual([
        name,
        [{ bearer: [scope] }],
        scope,
      ]);
      expect([name, Object.keys(byId[name]!.responses)]).toEqual([name, expect.arrayContaining(['403'])]);
    }
  });
});

interface Operation {
  operationId: string;
  security: unknown;
  'x-required-scope'?: string;
  responses: Record<string, unknown>;
}
