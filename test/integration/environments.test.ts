import { describe, expect, it } from 'vitest';
import { handler as createDeployment } from '../../functions/createDeployment';
import { handler as createEnvironment } from '../../functions/createEnvironment';
import { handler as finishDeployment } from '../../functions/finishDeployment';
import { handler as getEnvironment } from '../../functions/getEnvironment';
import { handler as listOrgEnvironments } from '../../functions/listOrgEnvironments';
import { handler as repoEnvironments } from '../../functions/repoEnvironments';
import { createRepo } from '../../lib/domain/orgs';
import { environmentsOf, releaseIn, withoutPromotionRules } from '../helpers/deployments';
import { invoke } from '../helpers/events';
import { orgWithMembers } from '../helpers/factories';
import { useWorld, type World } from '../helpers/world';

const { pool, world } = useWorld();

const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const orgPath = (org: string) => `/api/v1/orgs/${org}/environments`;
const iso = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

function listOrg(org: string, token: string, query: Record<string, string> = {}) {
  return invoke(listOrgEnvironments, { path: orgPath(org), pathParameters: { org }, query, token });
}

function create(org: string, body: unknown, token: string) {
  return invoke(createEnvironment, { path: orgPath(org), pathParameters: { org }, body, token });
}

function whatRunsWhere(repo: string, token: string, query: Record<string, string> = {}) {
  return invoke(repoEnvironments, {
    path: `/api/v1/repos/${repo}/environments`,
    pathParameters: { repo },
    query,
    token,
  });
}

function deploy(
  w: World,
  release: string,
  body: Record<string, unknown>,
  token = w.releaseManager.token,
  repo = w.repo.id,
) {
  return invoke(createDeployment, { pathParameters: { repo, id: release }, body, token });
}

describe('listOrgEnvironments', () => {
  it('lists the default pipeline in order (dev, stg, prod; prod requires stg) to any member, the org named by id or slug', async () => {
    const envs = await environmentsOf(pool, world.org.id);
    const expected = ['dev', 'stg', 'prod'].map((name, index) => ({
      id: envs[name]!.id,
      orgId: world.org.id,
      name,
      protected: name !== 'dev',
      position: index + 1,
      requires: name === 'prod' ? ['stg'] : [],
      requiredApprovals: 0,
      createdAt: iso,
    }));
    for (const [org, token] of [
      [world.org.id, world.developer.token],
      [world.org.slug, world.releaseManager.token],
    ] as const) {
      const res = await listOrg(org, token);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ items: expected, nextCursor: null });
      expect(res.headers.link).toBeUndefined();
    }
  });

  it('pages in pipeline order with a cursor and a Link header; new environments go last', async () => {
    const fresh = await orgWithMembers(pool);
    for (const name of ['qa', 'eu-1', 'us-1'])
      expect((await create(fresh.org.slug, { name }, fresh.releaseManager.token)).status).toBe(201);
    const names: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await listOrg(fresh.org.slug, fresh.developer.token, { limit: '2', ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      pages += 1;
      names.push(...res.body.items.map((e: { name: string }) => e.name));
      cursor = res.body.nextCursor ?? undefined;
      if (cursor) expect(res.headers.link).toBe(`<${orgPath(fresh.org.slug)}?limit=2&cursor=${cursor}>; rel="next"`);
    } while (cursor);
    expect(pages).toBe(3);
    expect(names).toEqual(['dev', 'stg', 'prod', 'qa', 'eu-1', 'us-1']);
  });

  it('answers 404 to a non-member by id and by slug, exactly as for an org that does not exist', async () => {
    const byId = await listOrg(world.org.id, world.outsider.token);
    const bySlug = await listOrg(world.org.slug, world.outsider.token);
    const missing = await listOrg('no-such-org', world.developer.token);
    expect([byId.status, bySlug.status, missing.status]).toEqual([404, 404, 404]);
    expect(bySlug.body).toEqual({
      type: 'about:blank',
      instance: expect.stringMatching(/^urn:gitweave:request:/),
      title: 'Not Found',
      status: 404,
      detail: `Org ${world.org.slug} was not found`,
    });
    expect(missing.body.detail).toBe('Org no-such-org was not found');
  });

  it.each([
    ['an org reference that is neither id nor slug', { org: 'Not A Slug' }, {}, '/path/org'],
    ['a bad limit', { org: 'x' }, { limit: '0' }, '/query/limit'],
    [
      'a forged cursor',
      { org: 'x' },
      { cursor: Buffer.from('["environments","../x"]').toString('base64url') },
      '/query/cursor',
    ],
  ])('answers 400 for %s', async (_, params, query, path) => {
    const org = params.org === 'x' ? world.org.slug : params.org;
    const res = await listOrg(org, world.developer.token, query);
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  it('answers 401 without a token', async () => {
    expect((await invoke(listOrgEnvironments, { pathParameters: { org: world.org.slug } })).status).toBe(401);
  });
});

describe('createEnvironment', () => {
  it('lets a release manager create an environment, 201 with Location where GET finds it by id and by name', async () => {
    const res = await create(world.org.slug, { name: 'qa-eu', protected: true }, world.releaseManager.token);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      orgId: world.org.id,
      name: 'qa-eu',
      protected: true,
      position: expect.any(Number),
      requires: [],
      requiredApprovals: 0,
      createdAt: iso,
    });
    expect(res.headers.location).toBe(`${orgPath(world.org.slug)}/${res.body.id}`);
    for (const ref of [res.body.id, 'qa-eu']) {
      const got = await invoke(getEnvironment, {
        pathParameters: { org: world.org.id, environment: ref },
        token: world.developer.token,
      });
      expect(got).toMatchObject({ status: 200, body: res.body });
    }
  });

  it('makes an environment unprotected unless asked', async () => {
    const res = await create(world.org.id, { name: 'sandbox' }, world.releaseManager.token);
    expect(res.status).toBe(201);
    expect(res.body.protected).toBe(false);
  });

  it('refuses a developer with a 403 that says why, and creates nothing', async () => {
    const res = await create(world.org.slug, { name: 'dev-sneaky' }, world.developer.token);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      type: 'about:blank',
      instance: expect.stringMatching(/^urn:gitweave:request:/),
      title: 'Forbidden',
      status: 403,
      detail: 'Creating environments needs the release_manager role; you are a developer in this org.',
    });
    const names = Object.keys(await environmentsOf(pool, world.org.id));
    expect(names).not.toContain('dev-sneaky');
  });

  it('answers 409 for a name the org already has, and allows it in another org', async () => {
    const res = await create(world.org.slug, { name: 'prod' }, world.releaseManager.token);
    expect(res.status).toBe(409);
    expect(res.body).toEqual({
      type: 'about:blank',
      instance: expect.stringMatching(/^urn:gitweave:request:/),
      title: 'Conflict',
      status: 409,
      detail: `Org ${world.org.slug} already has an environment named prod.`,
    });
    expect((await create(world.otherOrg.slug, { name: 'canary' }, world.outsider.token)).status).toBe(201);
    expect((await create(world.org.slug, { name: 'canary' }, world.releaseManager.token)).status).toBe(201);
  });

  it('lets exactly one of concurrent creates of one name win; the others get 409', async () => {
    const results = await Promise.all(
      Array.from({ length: 5 }, () => create(world.org.slug, { name: 'perf' }, world.releaseManager.token)),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
  });

  it('answers 404 to a non-member, who learns nothing of the org', async () => {
    const res = await create(world.org.slug, { name: 'intruder' }, world.outsider.token);
    expect(res.status).toBe(404);
    expect(Object.keys(await environmentsOf(pool, world.org.id))).not.toContain('intruder');
  });

  it('answers 401 without a token', async () => {
    expect(
      (await invoke(createEnvironment, { pathParameters: { org: world.org.slug }, body: { name: 'x' } })).status,
    ).toBe(401);
  });

  it.each([
    ['upper case', { name: 'Prod' }, '/body/name'],
    ['a space', { name: 'my env' }, '/body/name'],
    ['a leading dash', { name: '-prod' }, '/body/name'],
    ['a trailing dash', { name: 'prod-' }, '/body/name'],
    ['an empty name', { name: '' }, '/body/name'],
    ['33 characters', { name: 'a'.repeat(33) }, '/body/name'],
    ['no name', { protected: true }, '/body/name'],
    ['a string for protected', { name: 'ok', protected: 'yes' }, '/body/protected'],
    ['an unknown field', { name: 'ok', orgId: UNKNOWN }, '/body/orgId'],
  ])('rejects %s with a 400 naming the field', async (_, body, path) => {
    const res = await create(world.org.slug, body, world.releaseManager.token);
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  it('accepts a name of exactly 32 characters', async () => {
    const name = `a${'-'.repeat(30)}z`;
    expect((await create(world.org.slug, { name }, world.releaseManager.token)).status).toBe(201);
  });
});

describe('getEnvironment', () => {
  it("answers 404 for another org's environment and to a non-member", async () => {
    const foreign = await environmentsOf(pool, world.otherOrg.id);
    const mine = await environmentsOf(pool, world.org.id);
    const cases: Array<[string, string, string]> = [
      [world.org.slug, foreign.prod!.id, world.releaseManager.token],
      [world.org.slug, 'no-such-env', world.releaseManager.token],
      [world.org.slug, mine.prod!.id, world.outsider.token],
    ];
    for (const [org, environment, token] of cases) {
      expect((await invoke(getEnvironment, { pathParameters: { org, environment }, token })).status).toBe(404);
    }
  });
});

describe('repoEnvironments: what runs where', () => {
  it('shows every environment of the org with null where the repo has never been deployed', async () => {
    const fresh = await orgWithMembers(pool);
    const res = await whatRunsWhere(fresh.repo.id, fresh.developer.token);
    const envs = await environmentsOf(pool, fresh.org.id);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      items: ['dev', 'stg', 'prod'].map((name, index) => ({
        id: envs[name]!.id,
        orgId: fresh.org.id,
        name,
        protected: name !== 'dev',
        position: index + 1,
        requires: name === 'prod' ? ['stg'] : [],
        requiredApprovals: 0,
        createdAt: iso,
        current: null,
      })),
      nextCursor: null,
    });
  });

  it("shows the repo's newest successful deployment in each environment, ignoring failed, in_progress and other repos'", async () => {
    const w = await orgWithMembers(pool);
    await withoutPromotionRules(pool, w.org.id);
    const envs = await environmentsOf(pool, w.org.id);
    const sibling = await createRepo(pool, w.org.slug, 'sibling');
    const v1 = await releaseIn(pool, w.repo.id, w.developer.id, '1.0.0');
    const v2 = await releaseIn(pool, w.repo.id, w.developer.id, '2.0.0');
    const theirs = await releaseIn(pool, sibling.id, w.developer.id, '9.0.0');
    const at = (minute: number) => `2026-05-01T00:${String(minute).padStart(2, '0')}:00.000Z`;

    // dev: v1 succeeded, then v2 failed, then a sibling repo's release succeeded: v1 still runs here for this repo
    const devV1 = await deploy(
      w,
      v1.id,
      { environmentId: envs.dev!.id, startedAt: at(0), endedAt: at(1) },
      w.developer.token,
    );
    expect(
      (await deploy(w, v2.id, { environmentId: envs.dev!.id, status: 'failed', startedAt: at(2), endedAt: at(3) }))
        .status,
    ).toBe(201);
    expect(
      (
        await deploy(
          w,
          theirs.id,
          { environmentId: envs.dev!.id, startedAt: at(4), endedAt: at(5) },
          w.releaseManager.token,
          sibling.id,
        )
      ).status,
    ).toBe(201);
    // prod: v1 then v2 succeeded; the one that finished last (v1, a long deployment) is what runs
    expect((await deploy(w, v2.id, { environmentId: envs.prod!.id, startedAt: at(10), endedAt: at(11) })).status).toBe(
      201,
    );
    const prodV1 = await deploy(w, v1.id, { environmentId: envs.prod!.id, startedAt: at(9), endedAt: at(20) });
    // stg: v2 is only in progress
    const stgV2 = await deploy(w, v2.id, { environmentId: envs.stg!.id, status: 'in_progress' });

    const current = async () =>
      Object.fromEntries(
        (await whatRunsWhere(w.repo.id, w.developer.token)).body.items.map((e: { name: string; current: unknown }) => [
          e.name,
          e.current,
        ]),
      );
    expect(await current()).toEqual({
      dev: {
        deploymentId: devV1.body.id,
        releaseId: v1.id,
        version: '1.0.0',
        deployedAt: at(1),
        deployedBy: { id: w.developer.id, name: 'dev' },
      },
      prod: {
        deploymentId: prodV1.body.id,
        releaseId: v1.id,
        version: '1.0.0',
        deployedAt: at(20),
        deployedBy: { id: w.releaseManager.id, name: 'rm' },
      },
      stg: null,
    });

    // finishing the stg deployment makes it current there
    const finished = await invoke(finishDeployment, {
      method: 'PATCH',
      pathParameters: { id: stgV2.body.id },
      body: { status: 'success' },
      token: w.releaseManager.token,
    });
    expect(finished.status).toBe(200);
    expect((await current()).stg).toEqual({
      deploymentId: stgV2.body.id,
      releaseId: v2.id,
      version: '2.0.0',
      deployedAt: finished.body.endedAt,
      deployedBy: { id: w.releaseManager.id, name: 'rm' },
    });

    // the sibling repo sees only its own
    const siblingView = await whatRunsWhere(sibling.id, w.developer.token);
    expect(
      siblingView.body.items.map((e: { name: string; current: { version: string } | null }) => [
        e.name,
        e.current?.version ?? null,
      ]),
    ).toEqual([
      ['dev', '9.0.0'],
      ['stg', null],
      ['prod', null],
    ]);
  });

  it('includes environments created later, and pages in pipeline order with a Link header', async () => {
    const w = await orgWithMembers(pool);
    expect((await create(w.org.id, { name: 'canary' }, w.releaseManager.token)).status).toBe(201);
    const first = await whatRunsWhere(w.repo.id, w.developer.token, { limit: '3' });
    expect(first.body.items.map((e: { name: string }) => e.name)).toEqual(['dev', 'stg', 'prod']);
    expect(first.headers.link).toBe(
      `</api/v1/repos/${w.repo.id}/environments?limit=3&cursor=${first.body.nextCursor}>; rel="next"`,
    );
    const rest = await whatRunsWhere(w.repo.id, w.developer.token, { limit: '3', cursor: first.body.nextCursor });
    expect(rest.body).toEqual({
      items: [expect.objectContaining({ name: 'canary', current: null })],
      nextCursor: null,
    });
  });

  it('answers 404 to a non-member, 400 for a repo id that is not a UUID, 401 without a token', async () => {
    expect((await whatRunsWhere(world.repo.id, world.outsider.token)).status).toBe(404);
    expect((await whatRunsWhere('demo', world.developer.token)).body.errors).toEqual([
      { path: '/path/repo', message: 'must be a UUID' },
    ]);
    expect((await invoke(repoEnvironments, { pathParameters: { repo: world.repo.id } })).status).toBe(401);
  });

  it('lets a developer deploy to a new unprotected environment but not to a new protected one', async () => {
    const w = await orgWithMembers(pool);
    const open = await create(w.org.slug, { name: 'preview' }, w.releaseManager.token);
    const guarded = await create(w.org.slug, { name: 'live', protected: true }, w.releaseManager.token);
    const release = await releaseIn(pool, w.repo.id, w.developer.id);
    expect((await deploy(w, release.id, { environmentId: open.body.id }, w.developer.token)).status).toBe(201);
    const refused = await deploy(w, release.id, { environmentId: guarded.body.id }, w.developer.token);
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toBe(
      'Deploying to protected environment live needs the release_manager role; you are a developer in this org.',
    );
  });
});
