import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { handler as createRelease } from '../../functions/createRelease';
import { setGitDir } from '../../lib/domain/gitRepos';
import { createRepo } from '../../lib/domain/orgs';
import { draftReleaseNotes, NOTES_MAX_COMMITS } from '../../lib/domain/releaseNotes';
import type { CommitSpec } from '../../scripts/lib/gitHistory';
import { invoke } from '../helpers/events';
import { gitDirFor, repoWithHistory } from '../helpers/gitRepos';
import { useWorld } from '../helpers/world';

const { pool, world } = useWorld();

// a `git` first on PATH that writes down each git command the module runs (its subcommand), then runs the real one
const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'gitweave-git-count-'));
const calls = path.join(bin, 'calls');
const realPath = process.env.PATH;
beforeAll(() => {
  const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  // runGit puts 6 arguments of its own (--no-pager, --git-dir, -c and its value twice) before the subcommand
  const script = `#!/bin/sh\necho "$7" >> '${calls}'\nexec '${realGit}' "$@"\n`;
  fs.writeFileSync(path.join(bin, 'git'), script, { mode: 0o755 });
  process.env.PATH = `${bin}:${realPath}`;
});
afterAll(() => {
  process.env.PATH = realPath;
  fs.rmSync(bin, { recursive: true, force: true });
});
afterEach(() => fs.rmSync(calls, { force: true }));

/** The git subcommands run since the last call, in order. */
function gitRuns(): string[] {
  const runs = fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8').split('\n').filter(Boolean) : [];
  fs.rmSync(calls, { force: true });
  return runs;
}

async function released(repo: string, version: string, commit: string) {
  const res = await invoke(createRelease, {
    path: `/api/v1/repos/${repo}/releases`,
    pathParameters: { repo },
    body: { version, commit },
    token: world.releaseManager.token,
  });
  expect(res.status).toBe(201);
  return res.body;
}

const linear = (count: number): CommitSpec[] => Array.from({ length: count }, (_, i) => ({ message: `fix: ${i}` }));

describe('the git processes a range of notes costs', () => {
  it('reads the range after an ancestor release in one git process, whatever names the commit', async () => {
    const { repo, ids } = await repoWithHistory(pool, world.org.slug, linear(6));
    await released(repo.id, '1.0.0', ids[2] as string);
    for (const commit of ['main', ids[5] as string, (ids[5] as string).slice(0, 10)]) {
      gitRuns();
      const notes = await draftReleaseNotes(pool, repo.id, { commit });
      expect(notes.range).toEqual({
        from: ids[2],
        to: ids[5],
        previousVersion: '1.0.0',
        fromMergeBase: false,
        truncated: false,
      });
      expect(notes.commits.map((c) => c.sha).sort()).toEqual([ids[3], ids[4], ids[5]].sort());
      expect(gitRuns(), commit).toEqual(['log']);
    }
  });

  it('needs one git process too when no release names a commit, or when merges follow the release', async () => {
    const { repo, ids } = await repoWithHistory(pool, world.org.slug, [
      { message: 'feat: base' }, // 0
      { message: 'feat: on a branch', parents: [0] }, // 1
      { message: "Merge branch 'topic'", parents: [0, 1] }, // 2: the release's only child is a merge
    ]);
    gitRuns();
    expect((await draftReleaseNotes(pool, repo.id, { commit: 'main' })).range.from).toBeNull();
    expect(gitRuns()).toEqual(['log']);
    await released(repo.id, '1.0.0', ids[0] as string);
    gitRuns();
    const notes = await draftReleaseNotes(pool, repo.id, { commit: 'main' });
    expect(notes.range).toMatchObject({ from: ids[0], to: ids[2], fromMergeBase: false });
    expect(notes.commits.map((c) => c.sha)).toEqual([ids[1]]);
    expect(gitRuns()).toEqual(['log']);
  });

  it('resolves both commits in one process and asks their merge base once when the release is no ancestor', async () => {
    const { repo, ids } = await repoWithHistory(
      pool,
      world.org.slug,
      [{ message: 'feat: base' }, { message: 'fix: hotfix on 1.x' }, { message: 'feat: on main', parents: [0] }],
      { 'refs/heads/main': 2, 'refs/heads/v1': 1 },
    );
    await released(repo.id, '1.0.1', ids[1] as string);
    gitRuns();
    const notes = await draftReleaseNotes(pool, repo.id, { commit: 'main' });
    expect(notes.range).toMatchObject({ from: ids[0], to: ids[2], fromMergeBase: true });
    expect(notes.commits.map((c) => c.sha)).toEqual([ids[2]]);
    expect(gitRuns()).toEqual(['log', 'cat-file', 'merge-base', 'log']);
  });

  it(`keeps the first read of a range cut at ${NOTES_MAX_COMMITS} commits once the merge base says the release is an ancestor`, async () => {
    const { repo, ids } = await repoWithHistory(pool, world.org.slug, linear(NOTES_MAX_COMMITS + 20));
    await released(repo.id, '1.0.0', ids[5] as string);
    gitRuns();
    const notes = await draftReleaseNotes(pool, repo.id, { commit: 'main' });
    expect(notes.range).toMatchObject({ from: ids[5], to: ids.at(-1), fromMergeBase: false, truncated: true });
    expect(notes.commits).toHaveLength(NOTES_MAX_COMMITS);
    expect(gitRuns()).toEqual(['log', 'cat-file', 'merge-base']);
  });
});

describe('ranges the one git log cannot settle alone', () => {
  it('reads from a previous release whose commit was kept as a ref name', async () => {
    const repo = await createRepo(pool, world.org.slug, `ref-kept-${Date.now()}`);
    // a repo without a git directory keeps the commit as given
    await released(repo.id, '1.0.0', 'v1');
    const other = await repoWithHistory(pool, world.org.slug, linear(4), { 'refs/heads/main': 3, 'refs/heads/v1': 1 });
    const ids = other.ids;
    await setGitDir(pool, world.org.slug, repo.name, gitDirFor(world.org.slug, other.repo.name));
    const notes = await draftReleaseNotes(pool, repo.id, { commit: 'main' });
    expect(notes.range).toMatchObject({ from: ids[1], to: ids[3], previousVersion: '1.0.0', fromMergeBase: false });
    expect(notes.commits.map((c) => c.sha)).toEqual([ids[2], ids[3]]);
  });

  it('answers an empty range when the commit is the previous release’s, and from the commit when it is older', async () => {
    const { repo, ids } = await repoWithHistory(pool, world.org.slug, linear(4));
    await released(repo.id, '1.0.0', ids[2] as string);
    const same = await draftReleaseNotes(pool, repo.id, { commit: ids[2] as string });
    expect(same.range).toMatchObject({ from: ids[2], to: ids[2], fromMergeBase: false });
    expect(same.commits).toEqual([]);
    expect(same.warnings).toEqual([]);
    const older = await draftReleaseNotes(pool, repo.id, { commit: ids[1] as string });
    expect(older.range).toMatchObject({ from: ids[1], to: ids[1], fromMergeBase: true });
    expect(older.commits).toEqual([]);
  });

  it('covers all history when the previous release’s commit is not in the repo, and names a bad commit first', async () => {
    const { repo, ids } = await repoWithHistory(pool, world.org.slug, linear(3));
    await released(repo.id, '1.0.0', ids[0] as string);
    await pool.query(
      (await import('@databases/pg')).sql`UPDATE releases SET commit = ${'f00dfeedf00dfeedf00dfeedf00dfeedf00dfeed'}
        WHERE repo_id = ${repo.id}`,
    );
    const notes = await draftReleaseNotes(pool, repo.id, { commit: 'main' });
    expect(notes.range).toMatchObject({ from: null, to: ids[2] });
    expect(notes.commits).toHaveLength(3);
    expect(notes.warnings[0]).toMatch(/^The commit of release 1\.0\.0 \(f00dfeed.*\) is not in this repo/);
    const tree = execFileSync(
      'git',
      [`--git-dir=${gitDirFor(world.org.slug, repo.name)}`, 'rev-parse', 'main^{tree}'],
      {
        encoding: 'utf8',
      },
    ).trim();
    await expect(draftReleaseNotes(pool, repo.id, { commit: tree })).rejects.toThrow(
      `Commit ${tree} names an object of this repo that is not a commit.`,
    );
    await expect(
      draftReleaseNotes(pool, repo.id, { commit: 'no-such-branch', previousVersion: '9.9.9' }),
    ).rejects.toThrow('Commit no-such-branch is not a commit of this repo.');
  });
});
