import { describe, expect, it } from 'vitest';
import { handler as createArtifact } from '../../functions/createArtifact';
import { handler as createRelease } from '../../functions/createRelease';
import { handler as getRelease } from '../../functions/getRelease';
import { handler as listReleases } from '../../functions/listReleases';
import { invoke } from '../helpers/events';
import { orgWithMembers, writeBuildFile } from '../helpers/factories';
import { useWorld } from '../helpers/world';

const { pool, world } = useWorld();

const releasesPath = (repo: string) => `/api/v1/repos/${repo}/releases`;

async function artifactIn(repo: string, token: string, name = 'app.tgz') {
  const file = writeBuildFile(repo, `${Math.random()}/${name}`, `contents of ${name}`);
  const res = await invoke(createArtifact, { pathParameters: { repo }, body: { name, path: file }, token });
  expect(res.status).toBe(201);
  return res.body;
}

function create(body: unknown, options: { repo?: string; token?: string } = {}) {
  const repo = options.repo ?? world.repo.id;
  return invoke(createRelease, {
    path: releasesPath(repo),
    pathParameters: { repo },
    body,
    token: options.token ?? world.developer.token,
  });
}

describe('createRelease', () => {
  it('publishes a release with its artifacts and answers 201 with Location and the release as GET shows it', async () => {
    const a = await artifactIn(world.repo.id, world.developer.token, 'a.tgz');
    const b = await artifactIn(world.repo.id, world.developer.token, 'b.tgz');
    const res = await create({ version: 'v1.2.3', notes: '# Notes', artifactIds: [a.id, b.id] });
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`${releasesPath(world.repo.id)}/${res.body.id}`);
    expect(res.body).toEqual({
      id: expect.any(String),
      repoId: world.repo.id,
      version: '1.2.3',
      title: '1.2.3',
      notes: '# Notes',
      commit: null,
      notesRange: null,
      createdBy: { id: world.developer.id, name: 'dev' },
      createdAt: expect.stringMatching(/Z$/),
      draft: false,
      publishedAt: res.body.createdAt,
      artifacts: [a, b],
      deployments: [],
      deploymentCount: 0,
    });
    const got = await invoke(getRelease, {
      pathParameters: { repo: world.repo.id, id: res.body.id },
      token: world.releaseManager.token,
    });
    expect(got).toMatchObject({ status: 200, body: res.body });
  });

  it('keeps the title it is given, and its commit; without a title, the version is its title', async () => {
    const res = await create({ version: '2.5.0', title: 'Eighty', commit: 'main' });
    expect([res.status, res.body.title, res.body.commit]).toEqual([201, 'Eighty', 'main']);
    const tooLong = await create({ version: '2.5.1', title: 'x'.repeat(257) });
    expect([tooLong.status, tooLong.body.errors[0].path]).toEqual([400, '/body/title']);
    expect((await create({ version: '2.5.2' })).body).toMatchObject({ title: '2.5.2' });
  });

  it('keeps build metadata and pre-release parts of the version as written', async () => {
    const res = await create({ version: '2.0.0-rc.1+build.7' });
    expect(res.status).toBe(201);
    expect(res.body.version).toBe('2.0.0-rc.1+build.7');
  });

  it('refuses a version that was already released in the repo with 409, also when given with a leading v', async () => {
    expect((await create({ version: '3.0.0' })).status).toBe(201);
    const again = await create({ version: 'v3.0.0' });
    expect(again.status).toBe(409);
    expect(again.headers['content-type']).toBe('application/problem+json');
    expect(again.body).toMatchObject({ status: 409, title: 'Conflict', detail: expect.stringContaining('3.0.0') });
  });

  it('allows the same version in another repo', async () => {
    const other = await orgWithMembers(pool);
    expect((await create({ version: '3.1.0' })).status).toBe(201);
    expect((await create({ version: '3.1.0' }, { repo: other.repo.id, token: other.developer.token })).status).toBe(
      201,
    );
  });

  it.each([['1.0'], ['01.0.0'], ['1.0.0-'], ['vv1.0.0'], ['=1.0.0'], [' 1.0.0'], ['latest'], ['']])(
    'rejects the version %j with a 400 naming the field',
    async (version) => {
      const res = await create({ version });
      expect(res.status).toBe(400);
      expect(res.body.errors).toContainEqual({ path: '/body/version', message: expect.stringContaining('SemVer') });
    },
  );

  it('accepts notes of exactly RELEASE_NOTES_MAX_LEN characters even when they are multi-byte, and refuses one more', async () => {
    const atLimit = await create({ version: '4.0.0', notes: '🚀'.repeat(5000) });
    expect(atLimit.status).toBe(201);
    expect([...atLimit.body.notes]).toHaveLength(5000);
    const over = await create({ version: '4.0.1', notes: 'x'.repeat(5001) });
    expect(over.status).toBe(400);
    expect(over.body.errors).toEqual([{ path: '/body/notes', message: 'must NOT have more than 5000 characters' }]);
  });

  it('names every unknown, foreign and repeated artifact id in one 422 and writes nothing', async () => {
    const mine = await artifactIn(world.repo.id, world.developer.token);
    const foreign = await artifactIn(world.otherRepo.id, world.outsider.token);
    const unknown = '00000000-0000-4000-8000-000000000000';
    const res = await create({ version: '5.0.0', artifactIds: [mine.id, unknown, foreign.id, mine.id] });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([
      { path: '/body/artifactIds/1', message: `artifact ${unknown} does not exist in this repo` },
      { path: '/body/artifactIds/2', message: `artifact ${foreign.id} does not exist in this repo` },
      { path: '/body/artifactIds/3', message: `artifact ${mine.id} is listed more than once` },
    ]);
    const rows = await pool.query(
      (await import('@databases/pg'))
        .sql`SELECT 1 FROM releases WHERE repo_id = ${world.repo.id} AND version = '5.0.0'`,
    );
    expect(rows).toHaveLength(0);
  });

  it.each([
    ['an unknown field', { version: '6.0.0', extra: true }, '/body/extra'],
    ['a number for the version', { version: 6 }, '/body/version'],
    ['null notes', { version: '6.0.0', notes: null }, '/body/notes'],
    ['a malformed artifact id', { version: '6.0.0', artifactIds: ['nope'] }, '/body/artifactIds/0'],
    ['a missing version', { notes: 'x' }, '/body/version'],
    ['__proto__ as a key', JSON.parse('{"version":"6.0.0","__proto__":{"admin":true}}'), '/body/__proto__'],
  ])('rejects %s with a 400 naming %s', async (_, body, path) => {
    const res = await create(body);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  it.each([
    ['malformed JSON', '{"version": "1.0.0"', 400],
    ['an empty body', '', 400],
    ['a JSON array', '[]', 400],
    ['a JSON string', '"1.0.0"', 400],
    ['NUL inside a string', '{"version":"1.0.0","notes":"a\\u0000b"}', 400],
  ])('rejects %s with %i', async (_, body, status) => {
    const res = await create(body);
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ type: 'about:blank', status, detail: expect.any(String) });
  });

  it('rejects a body that is not JSON with 415', async () => {
    const res = await invoke(createRelease, {
      pathParameters: { repo: world.repo.id },
      body: 'version=1.0.0',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      token: world.developer.token,
    });
    expect(res.status).toBe(415);
  });

  it('rejects a JSON body over 1 MiB with 413', async () => {
    const res = await create({ version: '7.0.0', notes: 'x'.repeat(1024 * 1024) });
    expect(res.status).toBe(413);
  });

  it('answers 401 without a token, with a malformed one, and with an unknown one', async () => {
    const cases: Record<string, string>[] = [
      {},
      { authorization: 'Basic abc' },
      { authorization: 'Bearer gwr_unknown' },
    ];
    for (const headers of cases) {
      const res = await invoke(createRelease, {
        pathParameters: { repo: world.repo.id },
        body: { version: '8.0.0' },
        headers,
      });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    }
  });

  it('answers 404 to a member of another org exactly as for a repo that does not exist', async () => {
    const foreign = await create({ version: '9.0.0' }, { token: world.outsider.token });
    const missing = await create({ version: '9.0.0' }, { repo: '00000000-0000-4000-8000-000000000001' });
    expect(foreign.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(foreign.body.detail.replace(world.repo.id, 'X')).toBe(
      missing.body.detail.replace('00000000-0000-4000-8000-000000000001', 'X'),
    );
  });

  it('answers 400 for a repo id that is not a UUID', async () => {
    const res = await create({ version: '1.0.0' }, { repo: "1' OR '1'='1" });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: '/path/repo', message: 'must be a UUID' }]);
  });
});

describe('listReleases', () => {
  it('pages through every release newest first with opaque cursors and a Link header', async () => {
    const fresh = await orgWithMembers(pool);
    const versions = ['0.1.0', '0.2.0', '0.3.0', '0.4.0', '0.5.0'];
    for (const version of versions) {
      expect((await create({ version }, { repo: fresh.repo.id, token: fresh.developer.token })).status).toBe(201);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await invoke(listReleases, {
        path: releasesPath(fresh.repo.id),
        pathParameters: { repo: fresh.repo.id },
        query: { limit: '2', ...(cursor ? { cursor } : {}) },
        token: fresh.developer.token,
      });
      expect(res.status).toBe(200);
      pages += 1;
      seen.push(...res.body.items.map((item: { version: string }) => item.version));
      cursor = res.body.nextCursor ?? undefined;
      if (cursor) {
        expect(res.headers.link).toBe(
          `<${releasesPath(fresh.repo.id)}?limit=2&sort=created&cursor=${cursor}>; rel="next"`,
        );
      } else {
        expect(res.headers.link).toBeUndefined();
      }
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...versions].reverse());
  });

  it('lists a release with its creator and artifact count', async () => {
    const fresh = await orgWithMembers(pool);
    const a = await artifactIn(fresh.repo.id, fresh.developer.token);
    const made = await create(
      { version: '1.0.0', artifactIds: [a.id] },
      { repo: fresh.repo.id, token: fresh.developer.token },
    );
    const res = await invoke(listReleases, {
      pathParameters: { repo: fresh.repo.id },
      token: fresh.releaseManager.token,
    });
    expect(res.body).toEqual({
      items: [
        {
          id: made.body.id,
          version: '1.0.0',
          createdAt: made.body.createdAt,
          createdBy: { id: fresh.developer.id, name: 'dev' },
          artifactCount: 1,
          draft: false,
        },
      ],
      nextCursor: null,
    });
  });

  it.each([
    [{ limit: '0' }, '/query/limit'],
    [{ limit: '101' }, '/query/limit'],
    [{ limit: 'ten' }, '/query/limit'],
    [{ cursor: 'not-a-cursor' }, '/query/cursor'],
    [{ cursor: Buffer.from('["releases","yesterday","x"]').toString('base64url') }, '/query/cursor'],
    [{ sort: 'name' }, '/query/sort'],
  ])('rejects the query %j with a 400 naming %s', async (query, path) => {
    const res = await invoke(listReleases, {
      pathParameters: { repo: world.repo.id },
      query,
      token: world.developer.token,
    });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });
});

describe('getRelease', () => {
  it('answers 404 for a release of another repo, even in the same org', async () => {
    const made = await create({ version: '10.0.0' });
    const sibling = await (await import('../../lib/domain/orgs')).createRepo(pool, world.org.slug, 'sibling');
    const res = await invoke(getRelease, {
      pathParameters: { repo: sibling.id, id: made.body.id },
      token: world.developer.token,
    });
    expect(res.status).toBe(404);
  });

  it('answers 404 to an outsider for a release that exists', async () => {
    const made = await create({ version: '11.0.0' });
    const res = await invoke(getRelease, {
      pathParameters: { repo: world.repo.id, id: made.body.id },
      token: world.outsider.token,
    });
    expect(res.status).toBe(404);
  });
});
