import { describe, expect, it } from 'vitest';
import { handler as createDeployment } from '../../functions/createDeployment';
import { handler as createEnvironment } from '../../functions/createEnvironment';
import { handler as listOrgEnvironments } from '../../functions/listOrgEnvironments';
import { handler as repoEnvironments } from '../../functions/repoEnvironments';
import { handler as updateEnvironment } from '../../functions/updateEnvironment';
import { createUser } from '../../lib/domain/orgs';
import { sql } from '../../lib/infra/db';
import { environmentsOf, releaseIn } from '../helpers/deployments';
import { invoke } from '../helpers/events';
import { orgWithMembers } from '../helpers/factories';
import { usePool, type World } from '../helpers/world';

// Environments as a pipeline. Their order and rules (PATCH), and the promotion rule on deploys.
const pool = usePool();

function patch(w: World, environment: string, body: unknown, token = w.releaseManager.token) {
  return invoke(updateEnvironment, {
    method: 'PATCH',
    path: `/api/v1/orgs/${w.org.slug}/environments/${environment}`,
    pathParameters: { org: w.org.slug, environment },
    body,
    token,
  });
}

function addEnvironment(w: World, name: string) {
  return invoke(createEnvironment, {
    pathParameters: { org: w.org.slug },
    body: { name },
    token: w.releaseManager.token,
  });
}

function deploy(w: World, release: string, environmentId: string, body: Record<string, unknown> = {}) {
  return invoke(createDeployment, {
    pathParameters: { repo: w.repo.id, id: release },
    body: { environmentId, ...body },
    token: w.releaseManager.token,
  });
}

async function names(w: World): Promise<string[]> {
  const res = await invoke(listOrgEnvironments, { pathParameters: { org: w.org.slug }, token: w.developer.token });
  return res.body.items.map((e: { name: string }) => e.name);
}

describe('PATCH an environment: its place and rules', () => {
  it('lets a release manager change position, requires, requiredApprovals and protection; lists follow the new order', async () => {
    const w = await orgWithMembers(pool);
    expect((await addEnvironment(w, 'qa')).status).toBe(201);
    const res = await patch(w, 'qa', { position: 2, requires: ['dev'], requiredApprovals: 2, protected: true });
    const envs = await environmentsOf(pool, w.org.id);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: envs.qa!.id,
      orgId: w.org.id,
      name: 'qa',
      protected: true,
      position: 2,
      requires: ['dev'],
      requiredApprovals: 2,
      createdAt: expect.any(String),
    });
    // position ties sort by name: qa and stg are both 2
    expect(await names(w)).toEqual(['dev', 'qa', 'stg', 'prod']);
    const prod = await patch(w, envs.prod!.id, { requires: ['qa', 'stg'] });
    expect(prod.body.requires).toEqual(['qa', 'stg']);
    const where = await invoke(repoEnvironments, { pathParameters: { repo: w.repo.id }, token: w.developer.token });
    expect(where.body.items.map((e: { name: string; requires: string[] }) => [e.name, e.requires])).toEqual([
      ['dev', []],
      ['qa', ['dev']],
      ['stg', []],
      ['prod', ['qa', 'stg']],
    ]);
    expect((await patch(w, 'prod', { requires: [] })).body.requires).toEqual([]);
  });

  it('refuses a developer with a 403 that names the rule, and changes nothing', async () => {
    const w = await orgWithMembers(pool);
    const res = await patch(w, 'prod', { requires: [] }, w.developer.token);
    expect(res.status).toBe(403);
    expect(res.body.detail).toBe(
      'Changing environments needs the release_manager role; you are a developer in this org.',
    );
    expect((await patch(w, 'prod', { requiredApprovals: 0 })).body.requires).toEqual(['stg']);
  });

  it('answers 422 naming each required environment that is not in the org, or the environment itself', async () => {
    const w = await orgWithMembers(pool);
    const res = await patch(w, 'prod', { requires: ['stg', 'nope', 'prod'] });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([
      { path: '/body/requires/1', message: 'environment nope does not exist in this org' },
      { path: '/body/requires/2', message: 'prod cannot require itself' },
    ]);
    // an environment of another org is not one of this org, though the name is one there
    const other = { ...w, org: w.otherOrg, releaseManager: w.outsider };
    expect((await addEnvironment(other, 'qa-other')).status).toBe(201);
    const foreign = await patch(w, 'dev', { requires: ['qa-other'] });
    expect(foreign.status).toBe(422);
    expect(foreign.body.errors).toEqual([
      { path: '/body/requires/0', message: 'environment qa-other does not exist in this org' },
    ]);
  });

  it('answers 422 naming the cycle that requires would make, and keeps the rules as they were', async () => {
    const w = await orgWithMembers(pool);
    const two = await patch(w, 'stg', { requires: ['prod'] });
    expect(two.status).toBe(422);
    expect(two.body.detail).toContain('stg → prod → stg');
    expect(two.body.errors).toEqual([{ path: '/body/requires', message: 'makes the cycle stg → prod → stg' }]);
    expect((await patch(w, 'stg', { requires: ['dev'] })).status).toBe(200);
    const three = await patch(w, 'dev', { requires: ['prod'] });
    expect(three.status).toBe(422);
    expect(three.body.errors[0].message).toBe('makes the cycle dev → prod → stg → dev');
    expect((await patch(w, 'dev', { position: 1 })).body.requires).toEqual([]);
  });

  it('lets one of two concurrent changes that would together make a cycle win; the other is 422', async () => {
    const w = await orgWithMembers(pool);
    await patch(w, 'prod', { requires: [] });
    const [a, b] = await Promise.all([patch(w, 'dev', { requires: ['stg'] }), patch(w, 'stg', { requires: ['dev'] })]);
    expect([a.status, b.status].sort()).toEqual([200, 422]);
  });

  it.each([
    ['no change at all', {}, '/body'],
    ['more than 5 approvals', { requiredApprovals: 6 }, '/body/requiredApprovals'],
    ['a negative position', { position: -1 }, '/body/position'],
    ['a repeated requirement', { requires: ['stg', 'stg'] }, '/body/requires'],
    ['an unknown field', { name: 'x' }, '/body/name'],
  ])('answers 400 for %s', async (_, body, path) => {
    const w = await orgWithMembers(pool);
    const res = await patch(w, 'prod', body);
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  it('answers 404 for an unknown environment and to a non-member', async () => {
    const w = await orgWithMembers(pool);
    expect((await patch(w, 'nope', { position: 3 })).status).toBe(404);
    expect((await patch(w, 'prod', { position: 3 }, w.outsider.token)).status).toBe(404);
  });
});

describe('the promotion rule', () => {
  it('answers 409 naming each required environment where the release has not succeeded, and records nothing', async () => {
    const w = await orgWithMembers(pool);
    expect((await addEnvironment(w, 'qa')).status).toBe(201);
    await patch(w, 'prod', { requires: ['stg', 'qa'] });
    const envs = await environmentsOf(pool, w.org.id);
    const release = await releaseIn(pool, w.repo.id, w.developer.id, '1.0.0');
    const other = await releaseIn(pool, w.repo.id, w.developer.id, '0.9.0');
    // what does not count: another release's success, a failure, a deployment still in progress
    expect((await deploy(w, other.id, envs.stg!.id)).status).toBe(201);
    expect((await deploy(w, release.id, envs.stg!.id, { status: 'failed' })).status).toBe(201);
    expect((await deploy(w, release.id, envs.qa!.id, { status: 'in_progress' })).status).toBe(201);

    const refused = await deploy(w, release.id, envs.prod!.id);
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({
      type: 'about:blank',
      instance: expect.stringMatching(/^urn:gitweave:request:/),
      title: 'Conflict',
      status: 409,
      detail:
        'Release 1.0.0 cannot be deployed to prod yet: prod requires a successful deployment of it first in stg and qa, where it has none. Deploy it to stg and qa first.',
      errors: [
        {
          path: '/body/environmentId',
          message: 'release 1.0.0 has no successful deployment in stg, which prod requires',
        },
        {
          path: '/body/environmentId',
          message: 'release 1.0.0 has no successful deployment in qa, which prod requires',
        },
      ],
    });
    expect((await deploy(w, release.id, envs.stg!.id)).status).toBe(201);
    const still = await deploy(w, '1.0.0', envs.prod!.id);
    expect(still.status).toBe(409);
    expect(still.body.detail).toContain('first in qa, where');
    expect((await deploy(w, release.id, envs.qa!.id)).status).toBe(201);
    expect((await deploy(w, release.id, envs.prod!.id)).status).toBe(201);
    const [{ n }] = await pool.query(sql`
      SELECT count(*)::int AS n FROM deployments WHERE release_id = ${release.id} AND environment_id = ${envs.prod!.id}`);
    expect(n).toBe(1);
  });

  it('does not count a deployment that waits for approval, though it asks for success', async () => {
    const w = await orgWithMembers(pool);
    await patch(w, 'stg', { requiredApprovals: 1 });
    const envs = await environmentsOf(pool, w.org.id);
    const release = await releaseIn(pool, w.repo.id, w.developer.id, '1.0.0');
    const waiting = await deploy(w, release.id, envs.stg!.id);
    expect(waiting.status).toBe(201);
    expect(waiting.body.status).toBe('waiting');
    const refused = await deploy(w, release.id, envs.prod!.id);
    expect(refused.status).toBe(409);
    expect(refused.body.errors).toEqual([
      {
        path: '/body/environmentId',
        message: 'release 1.0.0 has no successful deployment in stg, which prod requires',
      },
    ]);
  });

  it('holds every org from the start: prod requires stg', async () => {
    const w = await orgWithMembers(pool);
    const envs = await environmentsOf(pool, w.org.id);
    const release = await releaseIn(pool, w.repo.id, w.developer.id);
    expect((await deploy(w, release.id, envs.prod!.id)).status).toBe(409);
    expect((await deploy(w, release.id, envs.stg!.id)).status).toBe(201);
    expect((await deploy(w, release.id, envs.prod!.id)).status).toBe(201);
  });

  it('shows people by id and name', async () => {
    const w = await orgWithMembers(pool);
    const named = await createUser(pool, 'Ada Lovelace', { orgSlug: w.org.slug, role: 'release_manager' });
    const envs = await environmentsOf(pool, w.org.id);
    const release = await releaseIn(pool, w.repo.id, w.developer.id);
    const res = await invoke(createDeployment, {
      pathParameters: { repo: w.repo.id, id: release.id },
      body: { environmentId: envs.dev!.id },
      token: named.token,
    });
    expect(res.body.deployedBy).toEqual({ id: named.id, name: 'Ada Lovelace' });
  });
});
