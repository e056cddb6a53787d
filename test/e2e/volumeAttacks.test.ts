import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from '../../lib/infra/db';
import { type ApiResponse, api } from '../helpers/api';
import { orgWithMembers, testPool, writeBuildFile } from '../helpers/factories';

const pool = testPool();
let world: Awaited<ReturnType<typeof orgWithMembers>>;
let outside: string;
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const onVolume = (relative: string) => path.join(inject('artifactsDir'), relative);

beforeAll(async () => {
  world = await orgWithMembers(pool);
  // beside the volume, on the same file system, as another tenant's or the host's files would be
  outside = fs.mkdtempSync(path.join(os.tmpdir(), 'outside-volume-'));
  fs.writeFileSync(path.join(outside, 'f'), 'outside secret');
});
afterAll(async () => {
  fs.rmSync(outside, { recursive: true, force: true });
  await pool.dispose();
});

function register(repo: string, token: string, relative: string) {
  return api('POST', `/repos/${repo}/artifacts`, { token, json: { name: 'x', path: relative } });
}

async function artifactsOf(repo: string): Promise<Array<{ path: string; sha256: string }>> {
  return pool.query(sql`SELECT path, sha256 FROM artifacts WHERE repo_id = ${repo}`);
}

/** Runs `body` (a loop over fs calls, with `fs`, `path` and `data` in scope) in a thread until stopped. */
function swapper(body: string, data: Record<string, string>) {
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    `const fs = require('node:fs'); const { workerData: { stop, data } } = require('node:worker_threads');
     while (Atomics.load(stop, 0) === 0) { try { ${body} } catch {} }`,
    { eval: true, workerData: { stop, data } },
  );
  return async () => {
    Atomics.store(stop, 0, 1);
    await new Promise((resolve) => worker.once('exit', resolve));
  };
}

/** `count` requests, `width` at a time. */
async function inBatches(count: number, width: number, send: () => Promise<ApiResponse>) {
  const answers: ApiResponse[] = [];
  for (let i = 0; i < count; i += width) {
    answers.push(...(await Promise.all(Array.from({ length: Math.min(width, count - i) }, send))));
  }
  return answers;
}

/**
 * The problem with the echoed path taken out, to compare two answers that must not differ otherwise; `instance` names
 * each request (its id) and differs by design.
 */
function withoutPath(res: ApiResponse, relative: string) {
  const { instance, ...body } = JSON.parse(JSON.stringify(res.body).split(relative).join('<path>'));
  return { status: res.status, body, instance: typeof instance };
}

describe("another org's uploads", () => {
  it('cannot be claimed by path, and the answer is the same whether the upload exists or not', async () => {
    const bytes = Buffer.from(`org B's build ${world.repo.id}`);
    const upload = await api('POST', `/repos/${world.repo.id}/artifacts?name=b.bin`, {
      token: world.developer.token,
      body: bytes,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(upload.status).toBe(201);
    const existing = `repos/${world.repo.id}/${sha256(bytes)}`;
    const missing = `repos/${world.repo.id}/${sha256('never uploaded')}`;
    const claim = await register(world.otherRepo.id, world.outsider.token, existing);
    const probe = await register(world.otherRepo.id, world.outsider.token, missing);
    expect(claim.status).toBe(400);
    expect(claim.body.errors).toEqual([
      { path: '/body/path', message: `must lie under builds/${world.otherRepo.id}/` },
    ]);
    expect(withoutPath(claim, existing)).toEqual(withoutPath(probe, missing));

    // a symlink the other org's build planted in its own directory does not reach the upload either
    writeBuildFile(world.otherRepo.id, '.keep', '');
    fs.symlinkSync(onVolume(`repos/${world.repo.id}`), onVolume(`builds/${world.otherRepo.id}/peek`));
    const viaLink = `builds/${world.otherRepo.id}/peek/${sha256(bytes)}`;
    const probeViaLink = `builds/${world.otherRepo.id}/peek/${sha256('never uploaded')}`;
    const linked = await register(world.otherRepo.id, world.outsider.token, viaLink);
    const linkedProbe = await register(world.otherRepo.id, world.outsider.token, probeViaLink);
    expect(linked.status).toBe(422);
    expect(withoutPath(linked, viaLink)).toEqual(withoutPath(linkedProbe, probeViaLink));
    expect(await artifactsOf(world.otherRepo.id)).toEqual([]);
  });

  it("cannot be claimed through another repo's builds directory either", async () => {
    const theirs = writeBuildFile(world.repo.id, 'theirs.tgz', 'theirs');
    const res = await register(world.otherRepo.id, world.outsider.token, theirs);
    expect(res.status).toBe(400);
    expect(await artifactsOf(world.otherRepo.id)).toEqual([]);
  });
});

describe('a path that changes while it is registered', () => {
  it('never records a file from outside the volume while a directory is swapped with a symlink to outside', async () => {
    const relative = writeBuildFile(world.repo.id, 'race/d/f', 'inside');
    const race = `builds/${world.repo.id}/race/`;
    const stop = swapper(
      `fs.renameSync(data.d, data.parked); fs.symlinkSync(data.outside, data.d); fs.unlinkSync(data.d);
       fs.renameSync(data.parked, data.d);`,
      {
        d: onVolume(`builds/${world.repo.id}/race/d`),
        parked: onVolume(`builds/${world.repo.id}/race/parked`),
        outside,
      },
    );
    const answers = await inBatches(400, 10, () => register(world.repo.id, world.developer.token, relative)).finally(
      stop,
    );
    const unexpected = answers.filter(
      (a) =>
        // the path recorded is where the opened file really is: d/f, or parked/f when d was renamed meanwhile
        !(a.status === 201 && a.body.sha256 === sha256('inside') && a.body.path.startsWith(race)) &&
        !(a.status === 422 && a.body.detail === `No regular file at "${relative}" inside builds/${world.repo.id}/.`),
    );
    expect(unexpected.map((a) => `${a.status} ${JSON.stringify(a.body)}`)).toEqual([]);
    const recorded = await artifactsOf(world.repo.id);
    expect(recorded.filter((row) => row.path.startsWith(race)).map((row) => row.sha256)).toEqual(
      answers.filter((a) => a.status === 201).map(() => sha256('inside')),
    );
  });

  it('keeps answering while a file is swapped with a FIFO: each registration is the file or a 422', async () => {
    const dir = `builds/${world.repo.id}/fifo`;
    const relative = writeBuildFile(world.repo.id, 'fifo/f', 'regular');
    fs.renameSync(onVolume(relative), onVolume(`${dir}/regular`));
    execFileSync('mkfifo', [onVolume(`${dir}/pipe`)]);
    const stop = swapper(
      `fs.renameSync(data.regular, data.f); fs.renameSync(data.f, data.regular);
       fs.renameSync(data.pipe, data.f); fs.renameSync(data.f, data.pipe);`,
      { f: onVolume(relative), regular: onVolume(`${dir}/regular`), pipe: onVolume(`${dir}/pipe`) },
    );
    const answers = await inBatches(200, 10, () => register(world.repo.id, world.developer.token, relative)).finally(
      stop,
    );
    const unexpected = answers.filter(
      (a) => !(a.status === 201 && a.body.sha256 === sha256('regular')) && a.status !== 422,
    );
    expect(unexpected.map((a) => `${a.status} ${JSON.stringify(a.body)}`)).toEqual([]);
    const upload = await api('POST', `/repos/${world.repo.id}/artifacts?name=after.bin`, {
      token: world.developer.token,
      body: Buffer.from('after the FIFO'),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(upload.status).toBe(201);
  });
});

describe('files that are not the build', () => {
  it('refuses a hard link to a file outside the volume with 422 and records nothing', async () => {
    writeBuildFile(world.repo.id, 'links/.keep', '');
    const relative = `builds/${world.repo.id}/links/hard`;
    fs.linkSync(path.join(outside, 'f'), onVolume(relative));
    const res = await register(world.repo.id, world.developer.token, relative);
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ path: '/body/path', message: 'has more than one hard link' }]);
    expect((await artifactsOf(world.repo.id)).filter((row) => row.path === relative)).toEqual([]);
  });

  it.each([
    ['a newline', '\n'],
    ['a carriage return', '\r'],
    ['a C1 control (NEL)', '\u0085'],
    ['a line separator', '\u2028'],
    ['a paragraph separator', '\u2029'],
    ['a right-to-left override', '\u202e'],
    ['a first-strong isolate', '\u2068'],
  ])('refuses %s in a registered path with 400 naming /body/path', async (_, character) => {
    const res = await register(world.repo.id, world.developer.token, `builds/${world.repo.id}/a${character}b.tgz`);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: '/body/path', message: expect.any(String) }]);
  });
});
