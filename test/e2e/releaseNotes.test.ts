import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { api } from '../helpers/api';
import { repoWithHistory } from '../helpers/gitRepos';
import { useWorld } from '../helpers/world';

const exec = promisify(execFile);
const CLI = 'bin/gitweave-release.mjs';
const { pool, world } = useWorld();

beforeAll(async () => {
  await exec('npm', ['run', '-s', 'build:cli']);
}, 120_000);

async function cli(args: string[]) {
  try {
    const { stdout, stderr } = await exec(process.execPath, [CLI, ...args], {
      env: {
        ...process.env,
        GITWEAVE_URL: inject('apiUrl').replace(/\/api\/v1$/, ''),
        GITWEAVE_TOKEN: world.releaseManager.token,
      },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('release notes from the history, over HTTP and through the CLI', () => {
  it('drafts notes, creates a release that generates them, and suggests the next version', {
    timeout: 180_000,
  }, async () => {
    const { repo, ids } = await repoWithHistory(pool, world.org.slug, [
      { message: 'feat: first' },
      { message: 'fix(api): null body' },
      { message: 'feat(cli): notes command' },
    ]);
    const token = world.releaseManager.token;
    const first = await api('POST', `/repos/${repo.id}/releases`, {
      token,
      json: { version: '1.0.0', commit: (ids[0] as string).slice(0, 8) },
    });
    expect(first.body).toMatchObject({ commit: ids[0], notesRange: null });

    const drafted = await api('POST', `/repos/${repo.id}/releases/notes`, { token, json: { commit: 'main' } });
    expect(drafted.status).toBe(200);
    expect(drafted.body).toMatchObject({
      range: { from: ids[0], to: ids[2], previousVersion: '1.0.0' },
      nextVersion: '1.1.0',
      title: '1.1.0',
    });
    expect(drafted.body.notes).toContain('### Features\n\n- **cli:** notes command');

    const bad = await api('POST', `/repos/${repo.id}/releases/notes`, { token, json: { commit: '--output=/tmp/x' } });
    expect(bad.status).toBe(422);
    expect(bad.headers.get('content-type')).toMatch(/^application\/problem\+json/);

    expect(await cli(['next-version', `${world.org.slug}/${repo.name}`, '--commit', 'main'])).toMatchObject({
      code: 0,
      stdout: '1.1.0\n',
    });
    const printed = await cli(['notes', repo.id, '--commit', 'main']);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toContain('next version: 1.1.0');
    expect(printed.stdout).toContain('- **api:** null body');

    const created = await cli([
      'release',
      'create',
      repo.id,
      '1.1.0',
      '--commit',
      'main',
      '--generate-notes',
      '--json',
    ]);
    expect(created.code).toBe(0);
    const release = JSON.parse(created.stdout);
    expect(release).toMatchObject({ version: '1.1.0', commit: ids[2], notes: drafted.body.notes });
    expect(release.notesRange).toEqual({
      from: ids[0],
      to: ids[2],
      previousVersion: '1.0.0',
      fromMergeBase: false,
      truncated: false,
    });

    const nothing = await cli(['next-version', repo.id, '--commit', 'main']);
    expect(nothing).toMatchObject({ code: 1, stdout: '' });
    expect(nothing.stderr).toContain('No commits since 1.1.0: no version is suggested.');
  });
});
