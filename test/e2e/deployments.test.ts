import { describe, expect, it } from 'vitest';
import { api } from '../helpers/api';
import { writeBuildFile } from '../helpers/factories';
import { useWorld } from '../helpers/world';

const { world } = useWorld();

describe('deployments over HTTP, through the door under test', () => {
  it('builds, registers, releases and deploys to dev; the deployment shows everywhere; prod needs a release manager and stg first', async () => {
    const dev = world.developer.token;
    const rm = world.releaseManager.token;
    const repo = world.repo.id;
    const file = writeBuildFile(repo, 'e2e/app-3.0.0.tgz', 'the build output');
    const artifact = await api('POST', `/repos/${repo}/artifacts`, {
      token: dev,
      json: { name: 'app-3.0.0.tgz', path: file },
    });
    expect(artifact.status).toBe(201);
    const release = await api('POST', `/repos/${repo}/releases`, {
      token: dev,
      json: { version: '3.0.0', artifactIds: [artifact.body.id] },
    });
    expect(release.status).toBe(201);

    const environments = await api('GET', `/orgs/${world.org.slug}/environments`, { token: dev });
    expect(environments.status).toBe(200);
    const env = Object.fromEntries(environments.body.items.map((e: { name: string; id: string }) => [e.name, e.id]));

    const deployed = await api('POST', `/repos/${repo}/releases/${release.body.id}/deployments`, {
      token: dev,
      json: { environmentId: env.dev },
    });
    expect(deployed.status).toBe(201);
    expect(deployed.headers.get('location')).toBe(`/api/v1/deployments/${deployed.body.id}`);
    expect(deployed.body).toMatchObject({
      releaseId: release.body.id,
      version: '3.0.0',
      environment: { id: env.dev, name: 'dev' },
      status: 'success',
    });

    const got = await api('GET', `/deployments/${deployed.body.id}`, { token: rm });
    expect(got).toMatchObject({ status: 200, body: deployed.body });
    const inRelease = await api('GET', `/repos/${repo}/releases/${release.body.id}`, { token: dev });
    expect(inRelease.body.deploymentCount).toBe(1);
    expect(inRelease.body.deployments[0].id).toBe(deployed.body.id);
    const listed = await api('GET', `/repos/${repo}/releases/${release.body.id}/deployments?environment=dev`, {
      token: dev,
    });
    expect(listed.body).toEqual({ items: [deployed.body], nextCursor: null });
    const where = await api('GET', `/repos/${repo}/environments`, { token: dev });
    expect(where.status).toBe(200);
    expect(where.body.items.find((e: { name: string }) => e.name === 'dev').current).toEqual({
      deploymentId: deployed.body.id,
      releaseId: release.body.id,
      version: '3.0.0',
      deployedAt: deployed.body.endedAt,
      deployedBy: { id: world.developer.id, name: 'dev' },
    });

    const refused = await api('POST', `/repos/${repo}/releases/3.0.0/deployments`, {
      token: dev,
      json: { environmentId: env.prod },
    });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(refused.body.detail).toMatch(/protected environment prod needs the release_manager role/);
    // prod requires stg (every org starts so): a release manager too must deploy it to stg first
    const early = await api('POST', `/repos/${repo}/releases/3.0.0/deployments`, {
      token: rm,
      json: { environmentId: env.prod },
    });
    expect(early.status).toBe(409);
    expect(early.body.detail).toMatch(/requires a successful deployment of it first in stg/);
    const staged = await api('POST', `/repos/${repo}/releases/3.0.0/deployments`, {
      token: rm,
      json: { environmentId: env.stg },
    });
    expect(staged.status).toBe(201);
    const allowed = await api('POST', `/repos/${repo}/releases/3.0.0/deployments`, {
      token: rm,
      json: { environmentId: env.prod, status: 'in_progress' },
    });
    expect(allowed.status).toBe(201);
    const finished = await api('PATCH', `/deployments/${allowed.body.id}`, { token: rm, json: { status: 'success' } });
    expect(finished.status).toBe(200);
    expect(finished.body).toMatchObject({ id: allowed.body.id, status: 'success', endedAt: expect.any(String) });
    expect(
      (await api('PATCH', `/deployments/${allowed.body.id}`, { token: rm, json: { status: 'failed' } })).status,
    ).toBe(409);
  });

  it('creates an environment for a release manager only, 409 on a duplicate, 404 to outsiders', async () => {
    const path = `/orgs/${world.org.id}/environments`;
    const made = await api('POST', path, {
      token: world.releaseManager.token,
      json: { name: 'e2e-qa', protected: true },
    });
    expect(made.status).toBe(201);
    expect((await api('GET', `${path}/e2e-qa`, { token: world.developer.token })).body).toEqual(made.body);
    expect((await api('POST', path, { token: world.releaseManager.token, json: { name: 'e2e-qa' } })).status).toBe(409);
    expect((await api('POST', path, { token: world.developer.token, json: { name: 'e2e-x' } })).status).toBe(403);
    expect((await api('GET', path, { token: world.outsider.token })).status).toBe(404);
  });
});
