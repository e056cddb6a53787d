import { describe, expect, it } from 'vitest';
import { api } from '../helpers/api';
import { orgWithMembers, writeBuildFile } from '../helpers/factories';
import { useWorld } from '../helpers/world';

const { pool, world } = useWorld();

describe('releases over HTTP, through the door under test', () => {
  it('registers a built artifact, releases it, and lists and gets the release', async () => {
    const token = world.developer.token;
    const repo = world.repo.id;
    const file = writeBuildFile(repo, 'e2e/app-1.0.0.tgz', 'the build output');

    const artifact = await api('POST', `/repos/${repo}/artifacts`, {
      token,
      json: { name: 'app-1.0.0.tgz', path: file },
    });
    expect(artifact.status).toBe(201);
    expect(artifact.body).toMatchObject({ name: 'app-1.0.0.tgz', path: file, sizeBytes: 16 });

    const created = await api('POST', `/repos/${repo}/releases`, {
      token,
      json: { version: 'v1.0.0', notes: '## What changed\n- everything', artifactIds: [artifact.body.id] },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/api/v1/repos/${repo}/releases/${created.body.id}`);
    expect(created.headers.get('content-type')).toMatch(/^application\/json/);
    expect(created.body).toMatchObject({
      version: '1.0.0',
      artifacts: [artifact.body],
      deployments: [],
      deploymentCount: 0,
    });

    const listed = await api('GET', `/repos/${repo}/releases`, { token });
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({
      items: [
        {
          id: created.body.id,
          version: '1.0.0',
          createdAt: created.body.createdAt,
          createdBy: { id: world.developer.id, name: 'dev' },
          artifactCount: 1,
          draft: false,
        },
      ],
      nextCursor: null,
    });

    const got = await api('GET', `/repos/${repo}/releases/${created.body.id}`, { token: world.releaseManager.token });
    expect(got).toMatchObject({ status: 200, body: created.body });
  });

  it('follows the Link header from page to page', async () => {
    const fresh = await orgWithMembers(pool);
    for (const version of ['1.0.0', '1.1.0', '1.2.0']) {
      expect(
        (await api('POST', `/repos/${fresh.repo.id}/releases`, { token: fresh.developer.token, json: { version } }))
          .status,
      ).toBe(201);
    }
    const first = await api('GET', `/repos/${fresh.repo.id}/releases?limit=2`, { token: fresh.developer.token });
    const link = first.headers.get('link');
    expect(link).toMatch(/^<\/api\/v1\/repos\/[^>]+>; rel="next"$/);
    const next = link!.slice(1, link!.indexOf('>')).replace('/api/v1', '');
    const second = await api('GET', next, { token: fresh.developer.token });
    expect(second.body.items.map((r: { version: string }) => r.version)).toEqual(['1.0.0']);
    expect(second.body.nextCursor).toBeNull();
    expect(second.headers.get('link')).toBeNull();
  });

  it('uploads raw bytes as an artifact', async () => {
    const bytes = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff, 0x00, 0x10]);
    const res = await api('POST', `/repos/${world.repo.id}/artifacts?name=blob.gz`, {
      token: world.developer.token,
      body: bytes,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'blob.gz', sizeBytes: 7 });
  });

  it.each([
    ['malformed JSON', { body: '{"version":', headers: { 'content-type': 'application/json' } }, 400],
    ['a form body', { body: 'version=1.0.0', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415],
    ['an empty body', { body: '', headers: { 'content-type': 'application/json' } }, 400],
    ['no body at all', {}, 400],
    ['an invalid version', { json: { version: '1.0' } }, 400],
    ['a body over 1 MiB', { json: { version: '1.0.0', notes: 'x'.repeat(1024 * 1024 + 10) } }, 413],
  ])('answers %s with a %i problem', async (_, options, status) => {
    const res = await api('POST', `/repos/${world.repo.id}/releases`, { token: world.developer.token, ...options });
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.body).toMatchObject({
      type: 'about:blank',
      status,
      title: expect.any(String),
      detail: expect.any(String),
    });
  });

  it('answers a duplicate version with 409, an outsider with 404 and a missing token with 401', async () => {
    const path = `/repos/${world.repo.id}/releases`;
    expect((await api('POST', path, { token: world.developer.token, json: { version: '2.0.0' } })).status).toBe(201);
    const duplicate = await api('POST', path, { token: world.developer.token, json: { version: '2.0.0' } });
    expect(duplicate.status).toBe(409);
    const outsider = await api('GET', path, { token: world.outsider.token });
    expect(outsider.status).toBe(404);
    const anonymous = await api('GET', path);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('answers health without a token', async () => {
    const res = await api('GET', '/health');
    expect(res).toMatchObject({ status: 200, body: { status: 'ok' } });
  });
});

describe('latest and lookup by version over HTTP', () => {
  it('answers /releases/latest by SemVer and /releases/v<version> by version', async () => {
    const fresh = await orgWithMembers(pool);
    const token = fresh.developer.token;
    for (const version of ['1.10.0', '1.9.0', '2.0.0-rc.1']) {
      expect((await api('POST', `/repos/${fresh.repo.id}/releases`, { token, json: { version } })).status).toBe(201);
    }
    const latest = await api('GET', `/repos/${fresh.repo.id}/releases/latest`, { token });
    expect(latest).toMatchObject({ status: 200, body: { version: '1.10.0' } });
    const withPre = await api('GET', `/repos/${fresh.repo.id}/releases/latest?prerelease=true`, { token });
    expect(withPre.body.version).toBe('2.0.0-rc.1');
    const byVersion = await api('GET', `/repos/${fresh.repo.id}/releases/v1.9.0`, { token });
    expect(byVersion).toMatchObject({ status: 200, body: { version: '1.9.0' } });
    const sorted = await api('GET', `/repos/${fresh.repo.id}/releases?sort=version&prerelease=false`, { token });
    expect(sorted.body.items.map((r: { version: string }) => r.version)).toEqual(['1.10.0', '1.9.0']);
  });
});
