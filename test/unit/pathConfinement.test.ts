import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confineToVolume } from '../../lib/domain/artifacts';
import { BadRequest, Unprocessable } from '../../lib/infra/errors';

let root: string;
let outside: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'volume-'));
  outside = fs.mkdtempSync(path.join(os.tmpdir(), 'outside-'));
  fs.mkdirSync(path.join(root, 'build'));
  fs.writeFileSync(path.join(root, 'build', 'app.tgz'), 'app');
  fs.writeFileSync(path.join(outside, 'secret'), 'secret');
  fs.symlinkSync(path.join(outside, 'secret'), path.join(root, 'build', 'escape'));
  fs.symlinkSync(outside, path.join(root, 'dir-escape'));
  fs.symlinkSync(path.join(root, 'build', 'app.tgz'), path.join(root, 'build', 'alias'));
});
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(outside, { recursive: true, force: true });
});

describe('confineToVolume', () => {
  it('resolves a file inside the volume to its real path and volume-relative path', async () => {
    await expect(confineToVolume(root, 'build/app.tgz')).resolves.toEqual({
      absolute: path.join(fs.realpathSync(root), 'build', 'app.tgz'),
      relative: 'build/app.tgz',
    });
  });

  it('follows a symlink that stays inside the volume to the file it names', async () => {
    await expect(confineToVolume(root, 'build/alias')).resolves.toMatchObject({ relative: 'build/app.tgz' });
  });

  it.each([
    ['a parent segment', '../outside/secret'],
    ['a parent segment in the middle', 'build/../../etc/passwd'],
    ['a backslash parent segment', 'build\\..\\..\\secret'],
    ['an absolute path', '/etc/passwd'],
    ['a symlink to a file outside', 'build/escape'],
    ['a symlink to a directory outside', 'dir-escape/secret'],
    ['NUL', 'build/app.tgz\u0000.png'],
  ])('refuses %s with a 400', async (_, relative) => {
    await expect(confineToVolume(root, relative)).rejects.toBeInstanceOf(BadRequest);
  });

  it.each([
    ['a missing file', 'build/missing.tgz'],
    ['a directory', 'build'],
    ['a path through a file', 'build/app.tgz/inner'],
  ])('refuses %s with a 422', async (_, relative) => {
    await expect(confineToVolume(root, relative)).rejects.toBeInstanceOf(Unprocessable);
  });
});
