import { beforeAll, describe, expect, it } from 'vitest';
import { handler as createDeployment } from '../../functions/createDeployment';
import { handler as finishDeployment } from '../../functions/finishDeployment';
import { handler as getDeployment } from '../../functions/getDeployment';
import { handler as getRelease } from '../../functions/getRelease';
import { handler as listDeployments } from '../../functions/listDeployments';
import { createRepo } from '../../lib/domain/orgs';
import { encodeTimeCursor } from '../../lib/infra/cursor';
import { sql } from '../../lib/infra/db';
import { deploymentCount, environmentsOf, releaseIn, withoutPromotionRules } from '../helpers/deployments';
import { type Invoked, invoke } from '../helpers/events';
import { orgWithMembers } from '../helpers/factories';
import { useWorld } from '../helpers/world';

const { pool, world } = useWorld();
let envs: Awaited<ReturnType<typeof environmentsOf>>;
let foreignEnvs: Awaited<ReturnType<typeof environmentsOf>>;

beforeAll(async () => {
  // this file is about recording deployments; prod's requirement of stg is tested in pipeline.test.ts
  await withoutPromotionRules(pool, world.org.id);
  envs = await environmentsOf(pool, world.org.id);
  foreignEnvs = await environmentsOf(pool, world.otherOrg.id);
});

const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const deploymentsPath = (repo: string, release: string) => `/api/v1/repos/${repo}/releases/${release}/deployments`;

function deploy(release: string, body: unknown, options: { token?: string; repo?: string } = {}) {
  const repo = options.repo ?? world.repo.id;
  return invoke(createDeployment, {
    path: deploymentsPath(repo, release),
    pathParameters: { repo, id: release },
    body,
    token: options.token ?? world.releaseManager.token,
  });
}

function get(id: string, token = world.developer.token) {
  return invoke(getDeployment, { path: `/api/v1/deployments/${id}`, pathParameters: { id }, token });
}

function finish(id: string, body: unknown, token = world.releaseManager.token) {
  return invoke(finishDeployment, {
    method: 'PATCH',
    path: `/api/v1/deployments/${id}`,
    pathParameters: { id },
    body,
    token,
  });
}

function list(release: string, query: Record<string, string> = {}, options: { token?: string; repo?: string } = {}) {
  const repo = options.repo ?? world.repo.id;
  return invoke(listDeployments, {
    path: deploymentsPath(repo, release),
    pathParameters: { repo, id: release },
    query,
    token: options.token ?? world.developer.token,
  });
}

const recent = (iso: string) => Math.abs(Date.now() - Date.parse(iso)) < 60_000;

describe('createDeployment', () => {
  it('records a successful deployment by default and answers 201 with Location and the deployment as GET shows it', async () => {
    const release = await releaseIn(pool, world.repo.id, world.developer.id, '1.0.0');
    const res = await deploy(release.id, { environmentId: envs.dev!.id }, { token: world.developer.token });
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`/api/v1/deployments/${res.body.id}`);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      releaseId: release.id,
      repoId: world.repo.id,
      version: '1.0.0',
      environment: { id: envs.dev!.id, name: 'dev' },
      status: 'success',
      kind: 'deploy',
      rollbackOf: null,
      reason: null,
      requiredApprovals: 0,
      startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      endedAt: res.body.startedAt,
      deployedBy: { id: world.developer.id, name: 'dev' },
    });
    expect(recent(res.body.startedAt)).toBe(true);
    expect(await get(res.body.id)).toMatchObject({ status: 200, body: res.body });
  });

  it('records the given status and times, to the millisecond, in UTC', async () => {
    const release = await releaseIn(pool, world.repo.id, world.developer.id);
    const res = await deploy(release.id, {
      environmentId: envs.prod!.id,
      status: 'failed',
      startedAt: '2026-01-02T10:00:00.123+02:00',
      endedAt: '2026-01-02T08:05:00Z',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      environment: { id: envs.prod!.id, name: 'prod' },
      status: 'failed',
      startedAt: '2026-01-02T08:00:00.123Z',
      endedAt: '2026-01-02T08:05:00.000Z',
      deployedBy: { id: world.releaseManager.id, name: 'rm' },
    });
  });

  it('records an in_progress deployment without an end, whether endedAt is left out or null', async () => {
    const release = await releaseIn(pool, world.repo.id, world.developer.id);
    for (const body of [
      { environmentId: envs.stg!.id, status: 'in_progress' },
      { environmentId: envs.stg!.id, status: 'in_progress', endedAt: null },
    ]) {
      const res = await deploy(release.id, body);
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ status: 'in_progress', endedAt: null });
      expect(recent(res.body.startedAt)).toBe(true);
    }
  });

  it('takes the release by its version too', async () => {
    const release = await releaseIn(pool, world.repo.id, world.developer.id, '2.0.0-rc.1');
    const res = await deploy('v2.0.0-rc.1', { environmentId: envs.dev!.id });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ releaseId: release.id, version: '2.0.0-rc.1' });
  });

  it('appears in its release, newest first, with the count', async () => {
    const release = await releaseIn(pool, world.repo.id, world.developer.id);
    const first = await deploy(release.id, {
      environmentId: envs.dev!.id,
      startedAt: '2026-03-01T00:00:00Z',
      endedAt: '2026-03-01T00:01:00Z',
    });
    const second = await deploy(release.id, { environmentId: envs.prod!.id, status: 'in_progress' });
    const res = await invoke(getRelease, {
      pathParameters: { repo: world.repo.id, id: release.id },
      token: world.developer.token,
    });
    expect(res.status).toBe(200);
    const inRelease = (d: {
      id: string;
      environment: unknown;
      status: string;
      startedAt: string;
      endedAt: string | null;
      deployedBy: unknown;
    }) => ({
      id: d.id,
      environment: d.environment,
      status: d.status,
      startedAt: d.startedAt,
      endedAt: d.endedAt,
      deployedBy: d.deployedBy,
    });
    expect(res.body.deployments).toEqual([inRelease(second.body), inRelease(first.body)]);
    expect(res.body.deploymentCount).toBe(2);
  });

  it("counts a release's deployments, one at a time or many in one statement, without rewriting the release's row", async () => {
    const release = await releaseIn(pool, world.repo.id, world.developer.id);
    const version = async () => {
      const [row] = await pool.query(
        sql`SELECT xmin::text AS xmin, ctid::text AS ctid FROM releases WHERE id = ${release.id}`,
      );
      return row;
    };
    const before = await version();
    for (const env of [envs.dev!, envs.stg!]) {
      expect((await deploy(release.id, { environmentId: env.id })).status).toBe(201);
    }
    await pool.query(sql`
      INSERT INTO deployments (release_id, environment_id, status, started_at, ended_at, deployed_by)
      SELECT ${release.id}, ${envs.dev!.id}, 'success', now(), now(), ${world.releaseManager.id} FROM generate_series(1, 3)`);
    // the count lives beside the release: a release deployed again and again is not a new row version each time
    expect(await version()).toEqual(before);
    const res = await invoke(getRelease, {
      pathParameters: { repo: world.repo.id, id: release.id },
      token: world.developer.token,
    });
    expect(res.body.deploymentCount).toBe(5);
    expect(await deploymentCount(pool, release.id)).toBe(5);
  });

  describe('who may deploy', () => {
    it('refuses a developer a protected environment with a 403 that says why, and records nothing', async () => {
      const release = await releaseIn(pool, world.repo.id, world.developer.id);
      for (const env of [envs.stg!, envs.prod!]) {
        const res = await deploy(release.id, { environmentId: env.id }, { token: world.developer.token });
        expect(res.status).toBe(403);
        expect(res.headers['content-type']).toBe('application/problem+json');
        expect(res.body).toEqual({
          type: 'about:blank',
          instance: expect.stringMatching(/^urn:gitweave:request:/),
          title: 'Forbidden',
          status: 403,
          detail: `Deploying to protected environment ${env.name} needs the release_manager role; you are a developer in this org.`,
        });
      }
      expect(await deploymentCount(pool, release.id)).toBe(0);
    });

    it('lets a release manager deploy to dev, stg and prod', async () => {
      const release = await releaseIn(pool, world.repo.id, world.developer.id);
      for (const env of [envs.dev!, envs.stg!, envs.prod!]) {
        expect((await deploy(release.id, { environmentId: env.id })).status).toBe(201);
      }
      expect(await deploymentCount(pool, release.id)).toBe(3);
    });

    it('follows the role the user has in this org, not in another', async () => {
      const fresh = await orgWithMembers(pool);
      // the other org's release manager is only a developer here
      await fresh.addMember(pool, world.org.slug, fresh.releaseManager.id, 'developer');
      const release = await releaseIn(pool, world.repo.id, world.developer.id);
      expect(
        (await deploy(release.id, { environmentId: envs.prod!.id }, { token: fresh.releaseManager.token })).status,
      ).toBe(403);
      expect(
        (await deploy(release.id, { environmentId: envs.dev!.id }, { token: fresh.releaseManager.token })).status,
      ).toBe(201);
    });
  });

  it.each([
    ['an environment of another org', () => foreignEnvs.prod!.id],
    ['an unknown environment', () => UNKNOWN],
  ])('answers 422 for %s, naming the field, and records nothing', async (_, environmentId) => {
    const release = await releaseIn(pool, world.repo.id, world.developer.id);
    const id = environmentId();
    const res = await deploy(release.id, { environmentId: id });
    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      type: 'about:blank',
      instance: expect.stringMatching(/^urn:gitweave:request:/),
      title: 'Unprocessable Content',
      status: 422,
      detail: `Environment ${id} is not an environment of the org of this repo.`,
      errors: [{ path: '/body/environmentId', message: `environment ${id} does not exist in the org of this repo` }],
    });
    expect(await deploymentCount(pool, release.id)).toBe(0);
  });

  it('answers 404 for a release of another repo of the same org, and for an unknown release or version', async () => {
    const sibling = await createRepo(pool, world.org.slug, `sibling-${Date.now()}`);
    const elsewhere = await releaseIn(pool, sibling.id, world.developer.id);
    for (const ref of [elsewhere.id, UNKNOWN, '99.99.99']) {
      const res = await deploy(ref, { environmentId: envs.dev!.id });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({
        type: 'about:blank',
        instance: expect.stringMatching(/^urn:gitweave:request:/),
        title: 'Not Found',
        status: 404,
        detail: `Release ${ref} was not found in this repo`,
      });
    }
    expect(await deploymentCount(pool, elsewhere.id)).toBe(0);
  });

  it('answers 404 to a non-member exactly as for a repo that does not exist', async () => {
    const release = await releaseIn(pool, world.repo.id, world.developer.id);
    const foreign = await deploy(release.id, { environmentId: foreignEnvs.dev!.id }, { token: world.outsider.token });
    const missing = await deploy(release.id, { environmentId: envs.dev!.id }, { repo: UNKNOWN });
    expect(foreign.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(foreign.body.detail.replace(world.repo.id, 'X')).toBe(missing.body.detail.replace(UNKNOWN, 'X'));
    expect(await deploymentCount(pool, release.id)).toBe(0);
  });

  it('answers 401 without a token or with an unknown one', async () => {
    const release = await releaseIn(pool, world.repo.id, world.developer.id);
    for (const headers of [{}, { authorization: `Bearer gwr_${'A'.repeat(43)}` }] as Record<string, string>[]) {
      const res = await invoke(createDeployment, {
        pathParameters: { repo: world.repo.id, id: release.id },
        body: { environmentId: envs.dev!.id },
        headers,
      });
      expect(res.status).toBe(401);
    }
  });

  it.each([
    [
      'an end before the start',
      { startedAt: '2026-01-01T10:00:00Z', endedAt: '2026-01-01T09:00:00Z' },
      '/body/endedAt',
      'must not be before startedAt',
    ],
    [
      'an end before the default start (now)',
      { endedAt: '2026-01-01T09:00:00Z' },
      '/body/endedAt',
      'must not be before startedAt',
    ],
    [
      'an end for an in_progress deployment',
      { status: 'in_progress', endedAt: '2026-01-01T09:00:00Z' },
      '/body/endedAt',
      'must be absent or null while status is in_progress',
    ],
    [
      'a null end for a successful deployment',
      { endedAt: null },
      '/body/endedAt',
      'must be a time (or left out, meaning now) when status is success',
    ],
    [
      'a start in the future',
      { startedAt: '2999-01-01T00:00:00Z', endedAt: '2999-01-01T00:00:00Z' },
      '/body/startedAt',
      'must not be in the future',
    ],
    ['a start before 1970', { startedAt: '0000-01-01T00:00:00Z' }, '/body/startedAt', 'must not be before 1970'],
    ['a start that is no time', { startedAt: 'yesterday' }, '/body/startedAt', 'must match format "date-time"'],
    ['an unknown status', { status: 'queued' }, '/body/status', 'must be equal to one of the allowed values'],
    ['an unknown field', { version: '1.0.0' }, '/body/version', 'is not allowed here'],
  ])('rejects %s with a 400 naming the field, and records nothing', async (_, extra, path, message) => {
    const release = await releaseIn(pool, world.repo.id, world.developer.id);
    const res = await deploy(release.id, { environmentId: envs.dev!.id, ...extra });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body.errors).toContainEqual({ path, message });
    expect(await deploymentCount(pool, release.id)).toBe(0);
  });

  it.each([
    ['no environmentId', {}, '/body/environmentId'],
    ['an environmentId that is not a UUID', { environmentId: 'prod' }, '/body/environmentId'],
  ])('rejects %s with a 400', async (_, body, path) => {
    const release = await releaseIn(pool, world.repo.id, world.developer.id);
    const res = await deploy(release.id, body);
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  it('rejects a release reference that is neither an id nor a version with a 400', async () => {
    const res = await deploy('latest-and-greatest', { environmentId: envs.dev!.id });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: '/path/id', message: 'must be a release id or a SemVer version' }]);
  });
});

describe('getDeployment', () => {
  it('answers 404 to a non-member for a deployment that exists, exactly as for one that does not', async () => {
    const release = await releaseIn(pool, world.repo.id, world.developer.id);
    const made = await deploy(release.id, { environmentId: envs.dev!.id });
    const foreign = await get(made.body.id, world.outsider.token);
    const missing = await get(UNKNOWN);
    expect(foreign.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(foreign.body).toEqual({
      type: 'about:blank',
      instance: expect.stringMatching(/^urn:gitweave:request:/),
      title: 'Not Found',
      status: 404,
      detail: `Deployment ${made.body.id} was not found`,
    });
    expect(missing.body.detail).toBe(`Deployment ${UNKNOWN} was not found`);
  });

  it('answers 400 for an id that is not a UUID and 401 without a token', async () => {
    expect((await get('nope')).body.errors).toEqual([{ path: '/path/id', message: 'must be a UUID' }]);
    expect((await invoke(getDeployment, { pathParameters: { id: UNKNOWN } })).status).toBe(401);
  });
});

describe('finishDeployment', () => {
  async function started(env = envs.dev!, body: Record<string, unknown> = {}) {
    const release = await releaseIn(pool, world.repo.id, world.developer.id);
    const res = await deploy(release.id, { environmentId: env.id, status: 'in_progress', ...body });
    expect(res.status).toBe(201);
    return res.body;
  }

  it('finishes an in_progress deployment as success, ending now, and answers 200 with the deployment', async () => {
    const deployment = await started();
    const res = await finish(deployment.id, { status: 'success' }, world.developer.token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...deployment, status: 'success', endedAt: expect.any(String) });
    expect(recent(res.body.endedAt)).toBe(true);
    expect(Date.parse(res.body.endedAt)).toBeGreaterThanOrEqual(Date.parse(deployment.startedAt));
    expect((await get(deployment.id)).body).toEqual({ ...res.body, reviews: [] });
  });

  it('finishes one as failed at the given time', async () => {
    const deployment = await started(envs.dev!, { startedAt: '2026-02-01T00:00:00Z' });
    const res = await finish(deployment.id, { status: 'failed', endedAt: '2026-02-01T00:10:00.5+00:00' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...deployment, status: 'failed', endedAt: '2026-02-01T00:10:00.500Z' });
  });

  it('answers 409 to a second finish and leaves the first outcome', async () => {
    const deployment = await started();
    const first = await finish(deployment.id, { status: 'failed' });
    expect(first.status).toBe(200);
    const second = await finish(deployment.id, { status: 'success' });
    expect(second.status).toBe(409);
    expect(second.body).toEqual({
      type: 'about:blank',
      instance: expect.stringMatching(/^urn:gitweave:request:/),
      title: 'Conflict',
      status: 409,
      detail: 'The deployment is already failed; only an in_progress deployment can be finished, and only once.',
    });
    expect((await get(deployment.id)).body).toEqual({ ...first.body, reviews: [] });
  });

  it('answers 409 for a deployment recorded as finished', async () => {
    const release = await releaseIn(pool, world.repo.id, world.developer.id);
    const made = await deploy(release.id, { environmentId: envs.dev!.id });
    const res = await finish(made.body.id, { status: 'failed' });
    expect(res.status).toBe(409);
    expect((await get(made.body.id)).body).toEqual({ ...made.body, reviews: [] });
  });

  it('lets exactly one of concurrent finishes win; the others get 409', async () => {
    for (let round = 0; round < 5; round++) {
      const deployment = await started();
      const results = await Promise.all([
        finish(deployment.id, { status: 'success' }),
        finish(deployment.id, { status: 'failed' }),
        finish(deployment.id, { status: 'success' }, world.developer.token),
        finish(deployment.id, { status: 'failed' }, world.developer.token),
      ]);
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 409, 409, 409]);
      const winner = results.find((r) => r.status === 200)!;
      expect((await get(deployment.id)).body).toEqual({ ...winner.body, reviews: [] });
    }
  });

  it('refuses a developer a deployment to a protected environment with 403, and leaves it in_progress', async () => {
    const deployment = await started(envs.prod!);
    const res = await finish(deployment.id, { status: 'success' }, world.developer.token);
    expect(res.status).toBe(403);
    expect(res.body.detail).toBe(
      'Deploying to protected environment prod needs the release_manager role; you are a developer in this org.',
    );
    expect((await get(deployment.id)).body).toEqual({ ...deployment, reviews: [] });
    expect((await finish(deployment.id, { status: 'success' })).status).toBe(200);
  });

  it('answers 404 to a non-member and for an unknown deployment', async () => {
    const deployment = await started();
    expect((await finish(deployment.id, { status: 'success' }, world.outsider.token)).status).toBe(404);
    expect((await finish(UNKNOWN, { status: 'success' })).status).toBe(404);
    expect((await get(deployment.id)).body.status).toBe('in_progress');
  });

  it('answers 401 without a token', async () => {
    const deployment = await started();
    const res = await invoke(finishDeployment, {
      method: 'PATCH',
      pathParameters: { id: deployment.id },
      body: { status: 'success' },
    });
    expect(res.status).toBe(401);
  });

  it.each([
    [
      'an end before the start',
      { status: 'success', endedAt: '2026-02-01T00:00:00Z' },
      '/body/endedAt',
      'must not be before startedAt',
    ],
    [
      'an end in the future',
      { status: 'success', endedAt: '2999-01-01T00:00:00Z' },
      '/body/endedAt',
      'must not be in the future',
    ],
    [
      'in_progress as the new status',
      { status: 'in_progress' },
      '/body/status',
      'must be equal to one of the allowed values',
    ],
    ['no status', { endedAt: '2026-02-01T00:00:00Z' }, '/body/status', 'is required'],
    ['a null end', { status: 'success', endedAt: null }, '/body/endedAt', 'must be string'],
    ['an unknown field', { status: 'success', environmentId: UNKNOWN }, '/body/environmentId', 'is not allowed here'],
  ])('rejects %s with a 400 naming the field, and leaves it in_progress', async (_, body, path, message) => {
    const deployment = await started(envs.dev!, { startedAt: '2026-02-01T01:00:00Z' });
    const res = await finish(deployment.id, body);
    expect(res.status).toBe(400);
    expect(res.body.errors).toContainEqual({ path, message });
    expect((await get(deployment.id)).body.status).toBe('in_progress');
  });

  it('rejects a default end (now) before a start given a little in the future, with 400', async () => {
    const deployment = await started(envs.dev!, { startedAt: new Date(Date.now() + 60_000).toISOString() });
    const res = await finish(deployment.id, { status: 'success' });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: '/body/endedAt', message: 'must not be before startedAt' }]);
  });
});

describe('listDeployments', () => {
  let release: Awaited<ReturnType<typeof releaseIn>>;
  const made: Record<string, Invoked['body']> = {};

  beforeAll(async () => {
    release = await releaseIn(pool, world.repo.id, world.developer.id);
    const plan: Array<[string, string, Record<string, unknown>]> = [
      ['a', envs.dev!.id, { startedAt: '2026-04-01T00:00:00Z', endedAt: '2026-04-01T00:01:00Z' }],
      ['b', envs.dev!.id, { status: 'failed', startedAt: '2026-04-02T00:00:00Z', endedAt: '2026-04-02T00:01:00Z' }],
      ['c', envs.stg!.id, { startedAt: '2026-04-03T00:00:00Z', endedAt: '2026-04-03T00:01:00Z' }],
      ['d', envs.prod!.id, { status: 'in_progress', startedAt: '2026-04-04T00:00:00Z' }],
      ['e', envs.prod!.id, { startedAt: '2026-04-04T00:00:00Z', endedAt: '2026-04-04T00:02:00Z' }],
    ];
    for (const [key, environmentId, extra] of plan) {
      const res = await deploy(release.id, { environmentId, ...extra });
      expect(res.status).toBe(201);
      made[key] = res.body;
    }
  });

  // d and e start at the same instant: the id breaks the tie
  const newestFirst = () => [made.d, made.e].sort((x, y) => (x.id < y.id ? 1 : -1)).concat([made.c, made.b, made.a]);

  it('lists every deployment of the release newest first, as GET shows each', async () => {
    const res = await list(release.id);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: newestFirst(), nextCursor: null });
    expect(res.headers.link).toBeUndefined();
  });

  it('pages with opaque cursors and a Link header, the same list in the same order', async () => {
    const seen: unknown[] = [];
    let cursor: string | undefined;
    let pages = 0;
    const path = deploymentsPath(world.repo.id, release.id);
    do {
      const res = await list(release.id, { limit: '2', ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      pages += 1;
      seen.push(...res.body.items);
      cursor = res.body.nextCursor ?? undefined;
      if (cursor) expect(res.headers.link).toBe(`<${path}?limit=2&cursor=${cursor}>; rel="next"`);
      else expect(res.headers.link).toBeUndefined();
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(newestFirst());
  });

  it('filters by environment name or id and by status, and keeps filters in the Link header', async () => {
    expect((await list(release.id, { environment: 'dev' })).body.items).toEqual([made.b, made.a]);
    expect((await list(release.id, { environment: envs.prod!.id })).body.items).toEqual(newestFirst().slice(0, 2));
    expect((await list(release.id, { status: 'success' })).body.items).toEqual([made.e, made.c, made.a]);
    expect((await list(release.id, { status: 'in_progress' })).body.items).toEqual([made.d]);
    expect((await list(release.id, { environment: 'dev', status: 'failed' })).body.items).toEqual([made.b]);
    expect((await list(release.id, { environment: 'nowhere' })).body).toEqual({ items: [], nextCursor: null });
    const page = await list(release.id, { environment: 'dev', status: 'success', limit: '1' });
    expect(page.body).toEqual({ items: [made.a], nextCursor: null });
    const first = await list(release.id, { status: 'success', limit: '1' });
    expect(first.headers.link).toBe(
      `<${deploymentsPath(world.repo.id, release.id)}?status=success&limit=1&cursor=${first.body.nextCursor}>; rel="next"`,
    );
  });

  it('defaults to 20 a page', async () => {
    const busy = await releaseIn(pool, world.repo.id, world.developer.id);
    for (let i = 0; i < 21; i++) expect((await deploy(busy.id, { environmentId: envs.dev!.id })).status).toBe(201);
    const res = await list(busy.id);
    expect(res.body.items).toHaveLength(20);
    expect(res.body.nextCursor).toEqual(expect.any(String));
    const rest = await list(busy.id, { cursor: res.body.nextCursor });
    expect(rest.body.items).toHaveLength(1);
    expect(rest.body.nextCursor).toBeNull();
  });

  it('takes the release by its version too', async () => {
    expect((await list(`v${release.version}`)).body.items).toEqual(newestFirst());
  });

  it.each([
    [{ limit: '0' }, '/query/limit'],
    [{ limit: '101' }, '/query/limit'],
    [{ status: 'queued' }, '/query/status'],
    [{ environment: 'no spaces' }, '/query/environment'],
    [{ cursor: 'not-a-cursor!' }, '/query/cursor'],
    [{ cursor: encodeTimeCursor('releases', { at: new Date(), id: UNKNOWN }) }, '/query/cursor'],
    [{ sort: 'version' }, '/query/sort'],
  ])('rejects the query %j with a 400 naming %s', async (query, path) => {
    const res = await list(release.id, query);
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  it('answers 404 to a non-member and for a release of another repo', async () => {
    const foreign = await list(release.id, {}, { token: world.outsider.token });
    expect(foreign.status).toBe(404);
    const sibling = await createRepo(pool, world.org.slug, `sibling-${Date.now()}`);
    const other = await list(release.id, {}, { repo: sibling.id });
    expect(other.status).toBe(404);
    expect(other.body.detail).toBe(`Release ${release.id} was not found in this repo`);
  });

  it('answers 401 without a token', async () => {
    expect((await invoke(listDeployments, { pathParameters: { repo: world.repo.id, id: release.id } })).status).toBe(
      401,
    );
  });
});
