import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { handler as createArtifact } from '../../functions/createArtifact';
import { handler as getArtifact } from '../../functions/getArtifact';
import { handler as listArtifacts } from '../../functions/listArtifacts';
import { createDeployment } from '../../lib/domain/deployments';
import { addReleaseArtifact } from '../../lib/domain/releaseAssets';
import { config } from '../../lib/infra/config';
import { closeDb, sql } from '../../lib/infra/db';
import { deploymentCount, environmentsOf, releaseIn } from '../helpers/deployments';
import { invoke } from '../helpers/events';
import { orgWithMembers, testPool, writeBuildFile } from '../helpers/factories';

const pool = testPool();
let world: Awaited<ReturnType<typeof orgWithMembers>>;
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

beforeAll(async () => {
  world = await orgWithMembers(pool);
});
afterAll(async () => {
  await closeDb();
  await pool.dispose();
});

function register(body: unknown, token = world.developer.token, repo = world.repo.id) {
  return invoke(createArtifact, { path: `/api/v1/repos/${repo}/artifacts`, pathParameters: { repo }, body, token });
}

async function artifactCount(repo: string) {
  const [{ n }] = await pool.query(sql`SELECT count(*)::int AS n FROM artifacts WHERE repo_id = ${repo}`);
  return n as number;
}

describe('registering a file on the volume', () => {
  it('computes size and SHA-256 from the file and answers 201 with Location', async () => {
    const file = writeBuildFile(world.repo.id, 'reg/app-1.0.0.tgz', 'release bits');
    const res = await register({ name: 'app-1.0.0.tgz', path: file, contentType: 'application/gzip' });
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`/api/v1/repos/${world.repo.id}/artifacts/${res.body.id}`);
    expect(res.body).toEqual({
      id: expect.any(String),
      repoId: world.repo.id,
      name: 'app-1.0.0.tgz',
      path: file,
      sizeBytes: 12,
      sha256: sha256('release bits'),
      contentType: 'application/gzip',
      createdAt: expect.stringMatching(/Z$/),
    });
    const got = await invoke(getArtifact, {
      pathParameters: { repo: world.repo.id, id: res.body.id },
      token: world.releaseManager.token,
    });
    expect(got).toMatchObject({ status: 200, body: res.body });
  });

  it.each([
    ['a parent segment', () => '../../etc/passwd', 400],
    ['an absolute path', () => '/etc/passwd', 400],
    ["a path outside the repo's builds/<repo>/", () => 'reg/app.tgz', 400],
    ['a newline in the path', () => `builds/${world.repo.id}/a\nb.tgz`, 400],
    ['a missing file', () => `builds/${world.repo.id}/none/missing.tgz`, 422],
  ])('refuses %s with %i and registers nothing', async (_, file, status) => {
    const before = await artifactCount(world.repo.id);
    const res = await register({ name: 'x', path: file() });
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body.errors).toEqual([{ path: '/body/path', message: expect.any(String) }]);
    expect(await artifactCount(world.repo.id)).toBe(before);
  });

  it('refuses a symlink that leads out of the volume with the 422 a missing file gets', async () => {
    writeBuildFile(world.repo.id, 'links/.keep', '');
    const link = `builds/${world.repo.id}/links/escape`;
    fs.symlinkSync('/etc', path.join(inject('artifactsDir'), link));
    const res = await register({ name: 'x', path: `${link}/hostname` });
    expect(res.status).toBe(422);
    expect(res.body.detail).toBe(`No regular file at "${link}/hostname" inside builds/${world.repo.id}/.`);
  });

  it('answers 404 to a member of another org', async () => {
    const file = writeBuildFile(world.repo.id, 'reg/other.tgz', 'x');
    const res = await register({ name: 'other.tgz', path: file }, world.outsider.token);
    expect(res.status).toBe(404);
  });
});

describe('registering a file that takes longer to hash than the deadline', () => {
  const deadline = config().artifactHashDeadlineMs;
  let file: string;
  beforeAll(() => {
    // 64 GiB of holes: free on disk, and more than a test's 30 s to hash, so only an abandoned digest answers in time
    file = writeBuildFile(world.repo.id, 'sparse/huge.img', '');
    fs.truncateSync(path.join(inject('artifactsDir'), file), 64 * 1024 ** 3);
    config().artifactHashDeadlineMs = 50;
  });
  afterAll(() => {
    config().artifactHashDeadlineMs = deadline;
    fs.rmSync(path.join(inject('artifactsDir'), file));
  });

  it('answers 422 saying how to raise ARTIFACT_HASH_DEADLINE_MS, registers nothing, and replays that answer', async () => {
    const before = await artifactCount(world.repo.id);
    const headers = { 'idempotency-key': `huge-${world.repo.id}` };
    const send = () =>
      invoke(createArtifact, {
        path: `/api/v1/repos/${world.repo.id}/artifacts`,
        pathParameters: { repo: world.repo.id },
        body: { name: 'huge.img', path: file },
        headers,
        token: world.developer.token,
      });
    const res = await send();
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body).toMatchObject({
      status: 422,
      detail: expect.stringContaining('could not be hashed within 50 ms, so nothing was registered'),
      errors: [{ path: '/body/path', message: 'could not be hashed within the deadline' }],
    });
    expect(res.body.detail).toContain('raise ARTIFACT_HASH_DEADLINE_MS');
    const again = await send();
    expect(again).toMatchObject({ status: 422, body: res.body, headers: { 'idempotent-replayed': 'true' } });
    expect(await artifactCount(world.repo.id)).toBe(before);
  });
});

describe('uploading raw bytes', () => {
  function upload(bytes: Buffer, query: Record<string, string> = { name: 'blob.bin' }) {
    return invoke(createArtifact, {
      pathParameters: { repo: world.repo.id },
      query,
      body: bytes,
      token: world.developer.token,
    });
  }

  it('stores the bytes content-addressed under the repo and registers them', async () => {
    const bytes = Buffer.from([0, 1, 2, 255, 254]);
    const res = await upload(bytes, { name: 'blob.bin', contentType: 'application/x-thing' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'blob.bin',
      path: `repos/${world.repo.id}/${sha256(bytes)}`,
      sizeBytes: 5,
      sha256: sha256(bytes),
      contentType: 'application/x-thing',
    });
    expect(fs.readFileSync(path.join(inject('artifactsDir'), res.body.path))).toEqual(bytes);
    const again = await upload(bytes);
    expect(again.status).toBe(201);
    expect(again.body.path).toBe(res.body.path);
    expect(
      fs.readdirSync(path.join(inject('artifactsDir'), 'repos', world.repo.id)).filter((f) => f.startsWith('.')),
    ).toEqual([]);
  });

  it('needs a name', async () => {
    const res = await upload(Buffer.from('x'), {});
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: '/query/name', message: 'is required' }]);
  });

  it('refuses more than 10 MiB with 413', async () => {
    const res = await upload(Buffer.alloc(10 * 1024 * 1024 + 1));
    expect(res.status).toBe(413);
  });

  it('refuses a body that is neither JSON nor octet-stream with 415', async () => {
    const res = await invoke(createArtifact, {
      pathParameters: { repo: world.repo.id },
      body: 'abc',
      headers: { 'content-type': 'text/plain' },
      token: world.developer.token,
    });
    expect(res.status).toBe(415);
  });
});

describe('listing artifacts', () => {
  it('pages newest first and answers 404 for an artifact of another repo', async () => {
    const fresh = await orgWithMembers(pool);
    const ids: string[] = [];
    for (const name of ['a', 'b', 'c']) {
      const file = writeBuildFile(fresh.repo.id, `list/${name}`, name);
      ids.push((await register({ name, path: file }, fresh.developer.token, fresh.repo.id)).body.id);
    }
    const first = await invoke(listArtifacts, {
      pathParameters: { repo: fresh.repo.id },
      query: { limit: '2' },
      token: fresh.developer.token,
    });
    expect(first.body.items.map((a: { name: string }) => a.name)).toEqual(['c', 'b']);
    const second = await invoke(listArtifacts, {
      pathParameters: { repo: fresh.repo.id },
      query: { limit: '2', cursor: first.body.nextCursor },
      token: fresh.developer.token,
    });
    expect(second.body).toEqual({ items: [expect.objectContaining({ name: 'a', id: ids[0] })], nextCursor: null });
    const foreign = await invoke(getArtifact, {
      pathParameters: { repo: world.repo.id, id: ids[0]! },
      token: world.developer.token,
    });
    expect(foreign.status).toBe(404);
  });
});

// Adding a file to a release and the release's first deployment, in two transactions at once: one of them waits for
// the other, so either the file is on the release before it was deployed, or the upload is refused; never a file
// added to a release that already ran without it. Each case holds one transaction open and starts the other.
describe('an upload to a release racing its first deployment', () => {
  const file = { name: 'late.txt', contentType: 'text/plain' };

  async function setUp() {
    const release = await releaseIn(pool, world.repo.id, world.releaseManager.id);
    const { dev } = await environmentsOf(pool, world.org.id);
    const repo = { id: world.repo.id, orgId: world.org.id, role: 'release_manager' as const };
    const deployment = { release: release.id, deployedBy: world.releaseManager.id, environmentId: dev!.id };
    return { release, repo, deployment };
  }

  /** Resolves once `pending` waits for a lock that the backend `holder` holds; fails if it finishes first. */
  async function waitsFor(holder: number, pending: Promise<unknown>): Promise<void> {
    let finished = false;
    pending.then(
      () => (finished = true),
      () => (finished = true),
    );
    for (let i = 0; i < 400; i++) {
      const [blocked] = await pool.query(
        sql`SELECT pid FROM pg_stat_activity WHERE ${holder}::int = ANY(pg_blocking_pids(pid))`,
      );
      if (blocked) return;
      if (finished) throw new Error('it finished while the other transaction was open: it did not wait for it');
      await sleep(25);
    }
    throw new Error(`it never waited for backend ${holder}`);
  }

  async function assetsOf(releaseId: string): Promise<string[]> {
    const rows = await pool.query(sql`
      SELECT a.name FROM release_artifacts ra JOIN artifacts a ON a.id = ra.artifact_id
      WHERE ra.release_id = ${releaseId}`);
    return rows.map((row) => row.name as string);
  }

  it('refuses the upload when the deployment is written first: the upload waits for its commit, then sees it', async () => {
    const { release, repo, deployment } = await setUp();
    let upload: Promise<unknown> | undefined;
    await pool.tx(async (tx) => {
      await createDeployment(tx, repo, deployment);
      const [{ pid }] = await tx.query(sql`SELECT pg_backend_pid() AS pid`);
      upload = addReleaseArtifact(pool, repo, release.id, file, Buffer.from('late'));
      upload.catch(() => undefined);
      await waitsFor(pid, upload);
    });
    await expect(upload).rejects.toMatchObject({
      status: 422,
      message: `Release ${release.version} has been deployed, so its assets are fixed: publish a new release to ship other files.`,
    });
    expect(await assetsOf(release.id)).toEqual([]);
    expect(await deploymentCount(pool, release.id)).toBe(1);
  });

  it('deploys the release with the file when the upload is written first: the deployment waits for its commit', async () => {
    const { release, repo, deployment } = await setUp();
    let deploying: Promise<unknown> | undefined;
    await pool.tx(async (tx) => {
      await addReleaseArtifact(tx, repo, release.id, file, Buffer.from('early'));
      const [{ pid }] = await tx.query(sql`SELECT pg_backend_pid() AS pid`);
      deploying = createDeployment(pool, repo, deployment);
      deploying.catch(() => undefined);
      await waitsFor(pid, deploying);
    });
    await expect(deploying).resolves.toMatchObject({ releaseId: release.id, status: 'success' });
    expect(await assetsOf(release.id)).toEqual(['late.txt']);
  });
});
