import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { handler as createArtifact } from '../../functions/createArtifact';
import { handler as createRelease } from '../../functions/createRelease';
import { handler as getLatestRelease } from '../../functions/getLatestRelease';
import { handler as getRelease } from '../../functions/getRelease';
import { handler as listReleases } from '../../functions/listReleases';
import { sql } from '../../lib/infra/db';
import { invoke } from '../helpers/events';
import { orgWithMembers, writeBuildFile } from '../helpers/factories';
import { useWorld } from '../helpers/world';

const { pool, world } = useWorld();
const VERSIONS = ['1.9.0', '1.10.0', '2.0.0-rc.2', '2.0.0-rc.10', '1.10.1-beta.1', '0.9.0', '1.4.2+build.5'];

beforeAll(async () => {
  for (const version of VERSIONS) {
    const res = await invoke(createRelease, {
      pathParameters: { repo: world.repo.id },
      body: { version },
      token: world.developer.token,
    });
    expect(res.status).toBe(201);
  }
});

function list(query: Record<string, string>, repo = world.repo.id) {
  return invoke(listReleases, {
    path: `/api/v1/repos/${repo}/releases`,
    pathParameters: { repo },
    query,
    token: world.developer.token,
  });
}

const versionsOf = (res: { body: { items: Array<{ version: string }> } }) => res.body.items.map((item) => item.version);

describe('latest release', () => {
  it('is the highest SemVer precedence that is not a pre-release, whatever the creation order', async () => {
    const res = await invoke(getLatestRelease, {
      pathParameters: { repo: world.repo.id },
      token: world.developer.token,
    });
    expect(res.status).toBe(200);
    expect(res.body.version).toBe('1.10.0');
  });

  it('may be a pre-release when ?prerelease=true', async () => {
    const res = await invoke(getLatestRelease, {
      pathParameters: { repo: world.repo.id },
      query: { prerelease: 'true' },
      token: world.developer.token,
    });
    expect(res.body.version).toBe('2.0.0-rc.10');
  });

  it('is a 404 problem when the repo has no release', async () => {
    const empty = await orgWithMembers(pool);
    const res = await invoke(getLatestRelease, {
      pathParameters: { repo: empty.repo.id },
      token: empty.developer.token,
    });
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('application/problem+json');
  });

  it('is a 404 to an outsider', async () => {
    const res = await invoke(getLatestRelease, {
      pathParameters: { repo: world.repo.id },
      token: world.outsider.token,
    });
    expect(res.status).toBe(404);
  });
});

describe('looking a release up by version', () => {
  it.each([['1.10.0'], ['v1.10.0']])('finds %s', async (ref) => {
    const res = await invoke(getRelease, {
      pathParameters: { repo: world.repo.id, id: ref },
      token: world.developer.token,
    });
    expect(res.status).toBe(200);
    expect(res.body.version).toBe('1.10.0');
  });

  it('finds a version with build metadata as written', async () => {
    const res = await invoke(getRelease, {
      pathParameters: { repo: world.repo.id, id: '1.4.2+build.5' },
      token: world.developer.token,
    });
    expect(res.body.version).toBe('1.4.2+build.5');
  });

  it('answers 404 for a version that was not released and 400 for neither an id nor a version', async () => {
    const missing = await invoke(getRelease, {
      pathParameters: { repo: world.repo.id, id: '7.7.7' },
      token: world.developer.token,
    });
    expect(missing.status).toBe(404);
    const bad = await invoke(getRelease, {
      pathParameters: { repo: world.repo.id, id: 'not-a-version' },
      token: world.developer.token,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ path: '/path/id', message: 'must be a release id or a SemVer version' }]);
  });
});

describe('listing releases by version, pre-release and range', () => {
  it('sorts by SemVer precedence, highest first, and pages with a cursor of that order', async () => {
    const first = await list({ sort: 'version', limit: '4' });
    expect(versionsOf(first)).toEqual(['2.0.0-rc.10', '2.0.0-rc.2', '1.10.1-beta.1', '1.10.0']);
    const second = await list({ sort: 'version', limit: '4', cursor: first.body.nextCursor });
    expect(versionsOf(second)).toEqual(['1.9.0', '1.4.2+build.5', '0.9.0']);
    expect(second.body.nextCursor).toBeNull();
    expect(first.headers.link).toContain('sort=version');
  });

  it('refuses a cursor of the other ordering', async () => {
    const byCreated = await list({ limit: '1' });
    const res = await list({ sort: 'version', cursor: byCreated.body.nextCursor });
    expect(res.status).toBe(400);
  });

  it('keeps only pre-releases, or only full releases', async () => {
    expect(versionsOf(await list({ sort: 'version', prerelease: 'true' }))).toEqual([
      '2.0.0-rc.10',
      '2.0.0-rc.2',
      '1.10.1-beta.1',
    ]);
    expect(versionsOf(await list({ sort: 'version', prerelease: 'false' }))).toEqual([
      '1.10.0',
      '1.9.0',
      '1.4.2+build.5',
      '0.9.0',
    ]);
  });

  it.each([
    ['>=1.2.0 <2.0.0', ['1.10.0', '1.9.0', '1.4.2+build.5']],
    ['^1.4', ['1.10.0', '1.9.0', '1.4.2+build.5']],
    ['~1.10.1-beta.0', ['1.10.1-beta.1']],
    ['>=2.0.0-rc.5', ['2.0.0-rc.10']],
    ['<1.0.0 || 1.9.x', ['1.9.0', '0.9.0']],
  ])('filters by the npm range %s', async (range, expected) => {
    const res = await list({ sort: 'version', version: range });
    expect(res.status).toBe(200);
    expect(versionsOf(res)).toEqual(expected);
  });

  it.each([
    [{ version: 'not a range' }, '/query/version'],
    [{ sort: 'semver' }, '/query/sort'],
    [{ prerelease: 'maybe' }, '/query/prerelease'],
  ])('rejects %j with a 400', async (query, where) => {
    const res = await list(query);
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(where);
  });
});

describe('declared digests', () => {
  const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

  it('registers a file whose digest matches the declared one, and refuses a mismatch with 422, registering nothing', async () => {
    const file = writeBuildFile(world.repo.id, 'digest/a.txt', 'abc');
    const good = await invoke(createArtifact, {
      pathParameters: { repo: world.repo.id },
      body: { name: 'a.txt', path: file, sha256: sha256('abc') },
      token: world.developer.token,
    });
    expect(good.status).toBe(201);
    const [{ before }] = await pool.query(
      sql`SELECT count(*)::int AS before FROM artifacts WHERE repo_id = ${world.repo.id}`,
    );
    const bad = await invoke(createArtifact, {
      pathParameters: { repo: world.repo.id },
      body: { name: 'a.txt', path: file, sha256: sha256('abd') },
      token: world.developer.token,
    });
    expect(bad.status).toBe(422);
    expect(bad.body.errors).toEqual([{ path: '/body/sha256', message: 'does not match the content' }]);
    const [{ after }] = await pool.query(
      sql`SELECT count(*)::int AS after FROM artifacts WHERE repo_id = ${world.repo.id}`,
    );
    expect(after).toBe(before);
  });

  it('refuses an upload whose digest differs with 422 and writes no file', async () => {
    const bytes = Buffer.from(`upload ${world.repo.id}`);
    const res = await invoke(createArtifact, {
      pathParameters: { repo: world.repo.id },
      query: { name: 'u.bin', sha256: sha256('something else') },
      body: bytes,
      token: world.developer.token,
    });
    expect(res.status).toBe(422);
    expect(fs.existsSync(path.join(inject('artifactsDir'), 'repos', world.repo.id, sha256(bytes)))).toBe(false);
  });

  it('refuses a declared digest that is not 64 hex digits with 400', async () => {
    const res = await invoke(createArtifact, {
      pathParameters: { repo: world.repo.id },
      body: { name: 'a', path: 'x', sha256: 'ABC' },
      token: world.developer.token,
    });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: '/body/sha256', message: 'must be 64 lowercase hex digits' }]);
  });
});
