import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DigestDeadline, digestFile, openBuildFile } from '../../lib/domain/volume';
import { BadRequest, Unprocessable } from '../../lib/infra/errors';

const repo = '11111111-1111-4111-8111-111111111111';
const otherRepo = '22222222-2222-4222-8222-222222222222';
const mine = `builds/${repo}`;
let root: string;
let outside: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'volume-'));
  outside = fs.mkdtempSync(path.join(os.tmpdir(), 'outside-'));
  const at = (relative: string) => path.join(root, relative);
  for (const dir of [`${mine}/build`, `builds/${otherRepo}`, `repos/${otherRepo}`])
    fs.mkdirSync(at(dir), { recursive: true });
  fs.writeFileSync(at(`${mine}/build/app.tgz`), 'app');
  fs.writeFileSync(at(`builds/${otherRepo}/theirs.tgz`), 'theirs');
  fs.writeFileSync(at(`repos/${otherRepo}/upload`), 'uploaded');
  fs.writeFileSync(path.join(outside, 'secret'), 'secret');
  fs.symlinkSync(path.join(outside, 'secret'), at(`${mine}/build/escape`));
  fs.symlinkSync(at(`${mine}/build/app.tgz`), at(`${mine}/build/alias`));
  fs.symlinkSync(outside, at(`${mine}/dir-escape`));
  fs.symlinkSync(at(`builds/${otherRepo}`), at(`${mine}/theirs`));
  fs.symlinkSync(at(`repos/${otherRepo}`), at(`${mine}/uploads`));
  fs.symlinkSync(at(`${mine}/build`), at(`${mine}/build-link`));
  fs.linkSync(path.join(outside, 'secret'), at(`${mine}/hard`));
  execFileSync('mkfifo', [at(`${mine}/pipe`)]);
});
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(outside, { recursive: true, force: true });
});

async function opened(relative: string) {
  const file = await openBuildFile(root, repo, relative);
  const content = await file.handle.readFile('utf8');
  await file.handle.close();
  return { relative: file.relative, content };
}

describe('openBuildFile', () => {
  it("opens a regular file under the repo's builds/<repo>/ and gives its volume-relative path", async () => {
    await expect(opened(`${mine}/build/app.tgz`)).resolves.toEqual({
      relative: `${mine}/build/app.tgz`,
      content: 'app',
    });
  });

  it('follows a directory symlink that stays under builds/<repo>/ and answers the real path', async () => {
    await expect(opened(`${mine}/build-link/app.tgz`)).resolves.toEqual({
      relative: `${mine}/build/app.tgz`,
      content: 'app',
    });
  });

  it.each([
    ['a parent segment', '../outside/secret'],
    ['a parent segment in the middle', `${mine}/build/../../../etc/passwd`],
    ['a parent segment that comes back', `${mine}/../${repo}/build/app.tgz`],
    ['a backslash parent segment', `${mine}\\..\\..\\secret`],
    ['an absolute path', '/etc/passwd'],
    ['the upload store, even of an existing upload', `repos/${otherRepo}/upload`],
    ['the upload store, for a missing upload', `repos/${otherRepo}/none`],
    ["another repo's existing build file", `builds/${otherRepo}/theirs.tgz`],
    ['a path elsewhere on the volume', 'build/app.tgz'],
    ['NUL', `${mine}/build/app.tgz\u0000.png`],
    ['a newline', `${mine}/build/app\n.tgz`],
    ['a C1 control (NEL)', `${mine}/build/app\u0085.tgz`],
    ['a line separator', `${mine}/build/app\u2028.tgz`],
    ['a right-to-left override', `${mine}/build/app\u202egzt.exe`],
    ['a right-to-left isolate', `${mine}/build/app\u2067.tgz`],
  ])('refuses %s with a 400 naming /body/path, before touching the volume', async (_, relative) => {
    const refused = openBuildFile(root, repo, relative);
    await expect(refused).rejects.toBeInstanceOf(BadRequest);
    await expect(refused).rejects.toMatchObject({ errors: [{ path: '/body/path' }] });
  });

  it.each([
    ['a missing file', `${mine}/build/missing.tgz`],
    ['a path through a file', `${mine}/build/app.tgz/inner`],
    ['a file outside the volume through a directory symlink', `${mine}/dir-escape/secret`],
    ["another repo's build file through a directory symlink", `${mine}/theirs/theirs.tgz`],
    ["another repo's upload through a directory symlink", `${mine}/uploads/upload`],
    ["a missing file in another repo's directory", `${mine}/theirs/none.tgz`],
  ])('answers %s with the one 422 that does not tell missing from elsewhere', async (_, relative) => {
    await expect(openBuildFile(root, repo, relative)).rejects.toMatchObject({
      status: 422,
      message: `No regular file at "${relative}" inside ${mine}/.`,
      errors: [{ path: '/body/path', message: 'no such file' }],
    });
  });

  it.each([
    ['a symlink to a file outside', `${mine}/build/escape`, 'is a symbolic link'],
    ['a symlink to a file inside', `${mine}/build/alias`, 'is a symbolic link'],
    ['a directory', `${mine}/build`, 'is not a regular file'],
    ['a FIFO, without waiting for a writer', `${mine}/pipe`, 'is not a regular file'],
    ['a hard link to a file outside the volume', `${mine}/hard`, 'has more than one hard link'],
  ])('refuses %s with a 422', async (_, relative, message) => {
    const refused = openBuildFile(root, repo, relative);
    await expect(refused).rejects.toBeInstanceOf(Unprocessable);
    await expect(refused).rejects.toMatchObject({ errors: [{ path: '/body/path', message }] });
  });
});

describe('digestFile', () => {
  it('gives the size and SHA-256 of what the descriptor reads', async () => {
    const file = await openBuildFile(root, repo, `${mine}/build/app.tgz`);
    await expect(digestFile(file.handle).finally(() => file.handle.close())).resolves.toEqual({
      sizeBytes: 3,
      sha256: createHash('sha256').update('app').digest('hex'),
    });
  });

  it('stops with DigestDeadline once its deadline has passed', async () => {
    const file = await openBuildFile(root, repo, `${mine}/build/app.tgz`);
    await expect(digestFile(file.handle, Date.now() - 1).finally(() => file.handle.close())).rejects.toBeInstanceOf(
      DigestDeadline,
    );
  });
});
