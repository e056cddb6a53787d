import fs from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDb } from '../../lib/infra/db';
import { invoke } from '../helpers/events';
import { orgWithMembers, testPool } from '../helpers/factories';

// Every function in functions/, fed generated garbage directly: whatever a client can send is never a 5xx.
const pool = testPool();
let world: Awaited<ReturnType<typeof orgWithMembers>>;
type Handler = Parameters<typeof invoke>[0];
const handlers: Array<[string, Handler]> = [];
let tried = 0;
const RUNS = 300;

beforeAll(async () => {
  world = await orgWithMembers(pool);
  for (const file of fs
    .readdirSync('functions')
    .filter((f) => f.endsWith('.ts'))
    .sort()) {
    handlers.push([
      file.replace(/\.ts$/, ''),
      ((await import(`../../functions/${file}`)) as { handler: Handler }).handler,
    ]);
  }
});
afterAll(async () => {
  await closeDb();
  await pool.dispose();
});

const anyId = () =>
  fc.oneof(
    fc.constant(world.repo.id),
    fc.uuid(),
    fc.string({ maxLength: 40 }),
    fc.constantFrom('latest', 'v1.0.0', '1.0.0', world.org.slug),
  );
const versionish = fc.oneof(fc.string(), fc.constantFrom('1.0.0', 'v2.0.0-rc.1', '1.0', '99999999999999999999.0.0'));
const shapedBody = fc.record(
  {
    version: versionish,
    notes: fc.oneof(fc.string(), fc.constant('x'.repeat(6000))),
    artifactIds: fc.array(fc.oneof(fc.uuid(), fc.string()), { maxLength: 5 }),
    name: fc.string(),
    path: fc.oneof(fc.string(), fc.constantFrom('../x', '/etc/passwd', 'a/b')),
    environmentId: fc.oneof(fc.uuid(), fc.string()),
    status: fc.constantFrom('success', 'failed', 'in_progress', 'bogus'),
    startedAt: fc.oneof(
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      fc.string(),
    ),
    endedAt: fc.oneof(
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      fc.string(),
      fc.constant(null),
    ),
    protected: fc.oneof(fc.boolean(), fc.string()),
    sha256: fc.oneof(
      fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 }),
      fc.string(),
    ),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  shapedBody.map((value) => JSON.stringify(value)),
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc.string(),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
);
const query = fc.dictionary(
  fc.constantFrom(
    'limit',
    'cursor',
    'sort',
    'prerelease',
    'version',
    'name',
    'sha256',
    'environment',
    'status',
    'contentType',
    'x',
  ),
  fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.integer().map(String),
    fc.constantFrom('true', 'version', '^1.0.0', '0', '101'),
  ),
);
const contentType = fc.constantFrom(
  'application/json',
  'application/octet-stream',
  'text/plain',
  'application/json; charset=utf-8',
  '',
);

describe('generated requests to every handler', () => {
  it('never answer 5xx', async () => {
    expect(handlers.length).toBeGreaterThan(5);
    for (const [name, handler] of handlers) {
      await fc.assert(
        fc.asyncProperty(
          fc.record({ repo: anyId(), id: anyId(), org: anyId() }),
          fc.option(query, { nil: undefined }),
          fc.option(body, { nil: undefined }),
          contentType,
          fc.constantFrom(world.developer.token, world.releaseManager.token, world.outsider.token),
          async (params, q, b, type, token) => {
            tried += 1;
            const res = await invoke(handler, {
              pathParameters: params,
              ...(q ? { query: q } : {}),
              ...(b !== undefined ? { body: b } : {}),
              headers: type ? { 'content-type': type } : {},
              token,
            });
            if (res.status >= 500) throw new Error(`${name} answered ${res.status}: ${JSON.stringify(res.body)}`);
            return true;
          },
        ),
        { numRuns: RUNS },
      );
    }
    expect(tried).toBe(handlers.length * RUNS);
  }, 300_000);
});
