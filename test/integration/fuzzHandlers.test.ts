import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployment } from '../../lib/domain/deployments';
import { createEnvironment, updateEnvironment } from '../../lib/domain/environments';
import { closeDb } from '../../lib/infra/db';
import { environmentName } from '../../schemas/environments';
import { environmentsOf, releaseIn } from '../helpers/deployments';
import { endpointHandlers } from '../helpers/endpoints';
import { type EventOptions, invoke } from '../helpers/events';
import { orgWithMembers, testPool, writeBuildFile } from '../helpers/factories';

// Every function in functions/, fed generated garbage directly: whatever a client can send is never a 5xx.
const pool = testPool();
let world: Awaited<ReturnType<typeof orgWithMembers>>;
type Handler = Parameters<typeof invoke>[0];
const handlers: Array<[string, Handler]> = [];
let tried = 0;
const RUNS = 300;

beforeAll(async () => {
  world = await orgWithMembers(pool);
  handlers.push(...(await endpointHandlers()));
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
    'kind',
    'from',
    'to',
    'bucket',
    'x',
  ),
  fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.integer().map(String),
    fc.constantFrom('true', 'version', '^1.0.0', '0', '101', 'dev', 'week', 'rollback', '2026-01-01T00:00:00Z'),
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
  it('never answer 5xx to garbage ids, queries and bodies', async () => {
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

/** Ids of the fixture org's things, mixed with random and foreign ones, so that requests reach the writes. */
async function writeFixture() {
  const release = await releaseIn(pool, world.repo.id, world.releaseManager.id, '1.0.0');
  const envs = await environmentsOf(pool, world.org.id);
  const foreignEnv = (await environmentsOf(pool, world.otherOrg.id)).dev!.id;
  const artifactIds: string[] = [];
  const files: string[] = [];
  for (const name of ['a', 'b', 'c']) {
    const file = writeBuildFile(world.repo.id, `fuzz/${name}`, name);
    files.push(file);
    const res = await invoke(handlers.find(([n]) => n === 'createArtifact')![1], {
      pathParameters: { repo: world.repo.id },
      body: { name, path: file },
      token: world.releaseManager.token,
    });
    artifactIds.push(res.body.id);
  }
  const access = { id: world.repo.id, orgId: world.org.id, role: 'release_manager' as const };
  const inProgress: string[] = [];
  for (let i = 0; i < 30; i += 1) {
    const made = await createDeployment(pool, access, {
      release: release.id,
      deployedBy: world.releaseManager.id,
      environmentId: envs.dev!.id,
      status: 'in_progress',
    });
    inProgress.push(made.id);
  }
  // dev has run another release before, so that it can be rolled back; gated holds deployments for review
  const previous = await releaseIn(pool, world.repo.id, world.releaseManager.id, '0.9.0');
  await createDeployment(pool, access, {
    release: previous.id,
    deployedBy: world.releaseManager.id,
    environmentId: envs.dev!.id,
    startedAt: new Date(Date.now() - 3_600_000).toISOString(),
  });
  const org = { id: world.org.id, slug: world.org.slug, role: 'release_manager' as const };
  const gated = await createEnvironment(pool, org, { name: 'gated', actorId: world.releaseManager.id });
  await updateEnvironment(pool, org, gated.id, { requiredApprovals: 1 }, world.releaseManager.id);
  const asDeveloper = { ...access, role: 'developer' as const };
  const waiting: string[] = [];
  for (let i = 0; i < 60; i += 1) {
    const made = await createDeployment(pool, asDeveloper, {
      release: release.id,
      deployedBy: world.developer.id,
      environmentId: gated.id,
    });
    waiting.push(made.id);
  }
  return { release, envs, foreignEnv, artifactIds, files, inProgress, waiting };
}

const recentTime = fc
  .integer({ min: 0, max: 30 * 24 * 3600 })
  .map((secondsAgo) => new Date(Date.now() - secondsAgo * 1000).toISOString());

describe('generated well-formed requests to the write endpoints', () => {
  it('never answer 5xx, and each endpoint accepts some of them (so the write path was reached)', async () => {
    const f = await writeFixture();
    const repo = fc.oneof(
      { weight: 8, arbitrary: fc.constant(world.repo.id) },
      fc.constant(world.otherRepo.id),
      fc.uuid(),
    );
    const semver = fc
      .tuple(
        fc.nat({ max: 50 }),
        fc.nat({ max: 50 }),
        fc.nat({ max: 10_000 }),
        fc.option(fc.constantFrom('-rc.1', '-alpha', '-beta.2.x'), { nil: '' }),
        fc.option(fc.constantFrom('+build.7', '+sha.abc'), { nil: '' }),
        fc.constantFrom('', 'v'),
      )
      .map(([major, minor, patch, pre, build, v]) => `${v}${major}.${minor}.${patch}${pre}${build}`);
    const envId = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(f.envs.dev!.id, f.envs.stg!.id, f.envs.prod!.id) },
      fc.constant(f.foreignEnv),
      fc.uuid(),
    );
    const token = fc.oneof(
      { weight: 6, arbitrary: fc.constant(world.releaseManager.token) },
      { weight: 2, arbitrary: fc.constant(world.developer.token) },
      fc.constant(world.outsider.token),
    );
    // a fresh key, none, or one of a few keys reused across requests (replayed, or refused as another request's)
    const idempotencyKey = fc.option(fc.oneof(fc.uuid(), fc.constantFrom('fuzz-1', 'fuzz-2')), { nil: undefined });

    const requests: Record<string, fc.Arbitrary<EventOptions>> = {
      createRelease: fc.record({
        pathParameters: fc.record({ repo }),
        body: fc.record(
          {
            version: fc.oneof({ weight: 9, arbitrary: semver }, fc.string({ maxLength: 12 })),
            notes: fc.string({ maxLength: 300 }),
            artifactIds: fc.oneof(fc.subarray(f.artifactIds), fc.array(fc.uuid(), { maxLength: 2 })),
          },
          { requiredKeys: ['version'] },
        ),
      }),
      createDeployment: fc.record({
        pathParameters: fc.record({
          repo,
          id: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(f.release.id, '1.0.0', 'v1.0.0') }, fc.uuid()),
        }),
        body: fc.record(
          {
            environmentId: envId,
            status: fc.constantFrom('success', 'failed', 'in_progress'),
            startedAt: recentTime,
            endedAt: fc.oneof(recentTime, fc.constant(null)),
          },
          { requiredKeys: ['environmentId'] },
        ),
      }),
      finishDeployment: fc.record({
        method: fc.constant('PATCH'),
        pathParameters: fc.record({
          id: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...f.inProgress) }, fc.uuid()),
        }),
        body: fc.record(
          { status: fc.constantFrom('success', 'failed'), endedAt: recentTime },
          { requiredKeys: ['status'] },
        ),
      }),
      createEnvironment: fc.record({
        pathParameters: fc.record({
          org: fc.oneof(
            { weight: 6, arbitrary: fc.constantFrom(world.org.slug, world.org.id) },
            fc.constant(world.otherOrg.slug),
            fc.uuid(),
          ),
        }),
        body: fc.record(
          { name: fc.stringMatching(new RegExp(environmentName.pattern)), protected: fc.boolean() },
          { requiredKeys: ['name'] },
        ),
      }),
      updateEnvironment: fc.record({
        method: fc.constant('PATCH'),
        pathParameters: fc.record({
          org: fc.oneof({ weight: 6, arbitrary: fc.constant(world.org.slug) }, fc.constant(world.otherOrg.slug)),
          environment: fc.constantFrom('dev', 'stg', 'prod', 'nope', f.envs.prod!.id),
        }),
        body: fc
          .record(
            {
              position: fc.integer({ min: 0, max: 1000 }),
              requires: fc.subarray(['dev', 'stg', 'prod', 'nope']),
              requiredApprovals: fc.constant(0),
            },
            { requiredKeys: [] },
          )
          .filter((body) => Object.keys(body).length > 0),
      }),
      reviewDeployment: fc.record({
        pathParameters: fc.record({
          id: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...f.waiting.slice(0, 30)) }, fc.uuid()),
        }),
        body: fc.record(
          { decision: fc.constantFrom('approve', 'reject'), comment: fc.string({ maxLength: 50 }) },
          { requiredKeys: ['decision'] },
        ),
      }),
      cancelDeployment: fc.record({
        pathParameters: fc.record({
          id: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...f.waiting.slice(30)) }, fc.uuid()),
        }),
        body: fc.record({ reason: fc.string({ maxLength: 50 }) }, { requiredKeys: [] }),
      }),
      rollbackEnvironment: fc.record({
        pathParameters: fc.record({
          repo,
          environment: fc.constantFrom('dev', 'stg', 'nope', f.envs.dev!.id),
        }),
        body: fc.record(
          { reason: fc.string({ minLength: 1, maxLength: 50 }), to: fc.constantFrom('0.9.0', '1.0.0', '7.7.7') },
          { requiredKeys: ['reason'] },
        ),
      }),
      createArtifact: fc.oneof(
        fc.record({
          pathParameters: fc.record({ repo }),
          body: fc.record(
            {
              name: fc.string({ minLength: 1, maxLength: 40 }),
              path: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...f.files) }, fc.constantFrom('nope', '../x')),
              contentType: fc.constantFrom('application/gzip', 'text/plain'),
            },
            { requiredKeys: ['name', 'path'] },
          ),
        }),
        fc.record({
          pathParameters: fc.record({ repo }),
          query: fc.record({ name: fc.string({ minLength: 1, maxLength: 40 }) }, { requiredKeys: [] }),
          body: fc.uint8Array({ minLength: 1, maxLength: 256 }).map((bytes) => Buffer.from(bytes)),
        }),
      ),
    };

    const accepted: Record<string, number> = {};
    for (const [name, request] of Object.entries(requests)) {
      const handler = handlers.find(([n]) => n === name)![1];
      accepted[name] = 0;
      await fc.assert(
        fc.asyncProperty(request, token, idempotencyKey, async (event, caller, key) => {
          const res = await invoke(handler, {
            ...event,
            token: caller,
            ...(key ? { headers: { 'idempotency-key': key } } : {}),
          });
          if (res.status >= 500) throw new Error(`${name} answered ${res.status}: ${JSON.stringify(res.body)}`);
          if (res.status < 300) accepted[name]! += 1;
          return true;
        }),
        { numRuns: 100 },
      );
    }
    for (const name of Object.keys(requests))
      expect({ name, accepted: accepted[name]! > 0 }).toEqual({ name, accepted: true });
  }, 300_000);
});
