import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commitsBetween, MESSAGE_CAP, resolveCommits } from '../../lib/infra/git';
import { runGit, streamGit } from '../../lib/infra/gitProcess';
import { type CommitSpec, makeHistory } from '../../scripts/lib/gitHistory';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'gitweave-git-reads-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

let made = 0;
function history(commits: CommitSpec[], refs: Record<string, number> = { 'refs/heads/main': commits.length - 1 }) {
  const gitDir = path.join(scratch, `${made++}.git`);
  return { gitDir, ids: makeHistory(gitDir, commits, refs) };
}

const git = (gitDir: string, ...args: string[]) =>
  execFileSync('git', [`--git-dir=${gitDir}`, ...args], { encoding: 'utf8' }).trim();

describe('resolveCommits', () => {
  it('resolves commits, short ids, branches and tags, and says why the others name no commit', async () => {
    // enough commits that two ids share a 4-digit prefix
    const { gitDir, ids } = history(Array.from({ length: 1500 }, (_, i) => ({ message: `chore: ${i}` })));
    git(gitDir, 'tag', '-a', 'v1.0.0', '-m', 'an annotated tag', ids[10] as string);
    const tree = git(gitDir, 'rev-parse', `${ids[0]}^{tree}`);
    const prefixes = new Map<string, number>();
    for (const id of ids) prefixes.set(id.slice(0, 4), (prefixes.get(id.slice(0, 4)) ?? 0) + 1);
    const shared = [...prefixes].find(([, count]) => count > 1)?.[0] as string;
    const out = path.join(scratch, 'option-was-run');
    const resolved = await resolveCommits(gitDir, [
      'main',
      (ids[3] as string).slice(0, 12),
      'v1.0.0',
      ids[7] as string,
      shared,
      tree,
      'no-such-branch',
      `--output=${out}`,
      'main',
    ]);
    expect(resolved).toEqual([
      { id: ids[1499] },
      { id: ids[3] },
      { id: ids[10] },
      { id: ids[7] },
      { problem: 'ambiguous' },
      { problem: 'not-a-commit' },
      { problem: 'unknown' },
      { problem: 'unknown' },
      { id: ids[1499] },
    ]);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('runs nothing when no ref may be handed to git', async () => {
    expect(await resolveCommits(path.join(scratch, 'not-a-repository'), ['-c', 'a..b'])).toEqual([
      { problem: 'unknown' },
      { problem: 'unknown' },
    ]);
  });
});

describe('commitsBetween', () => {
  const merged: CommitSpec[] = [
    { message: 'feat: base' }, // 0
    { message: 'feat: on a branch', parents: [0] }, // 1
    { message: 'fix: on main', parents: [0] }, // 2
    { message: "Merge branch 'topic'", parents: [2, 1] }, // 3
    { message: 'feat: after the merge' }, // 4
  ];

  it('prints the tip first, leaves merges out, and sees `from` among the parents of a merge', async () => {
    const { gitDir, ids } = history(merged);
    const log = await commitsBetween(gitDir, ids[2] as string, 'main', 10);
    expect(log).toMatchObject({ tip: ids[4], truncated: false, fromIsParent: true });
    expect(log?.commits.map((commit) => commit.id)).toEqual([ids[4], ids[1]]);
  });

  it('prints the commit asked for first even when its clock ran behind its parents', async () => {
    const gitDir = path.join(scratch, `${made++}.git`);
    execFileSync('git', ['init', '--bare', '--quiet', gitDir]);
    const tree = execFileSync('git', [`--git-dir=${gitDir}`, 'mktree'], { input: '', encoding: 'utf8' }).trim();
    const commit = (message: string, at: number, ...parents: string[]) =>
      execFileSync(
        'git',
        [`--git-dir=${gitDir}`, 'commit-tree', tree, '-m', message, ...parents.flatMap((p) => ['-p', p])],
        {
          encoding: 'utf8',
          env: { ...process.env, GIT_AUTHOR_DATE: `${at} +0000`, GIT_COMMITTER_DATE: `${at} +0000` },
        },
      ).trim();
    const base = commit('feat: base', 2_000_000_000);
    const middle = commit('fix: middle', 2_000_003_000, base);
    const skewed = commit('fix: made on a clock behind', 2_000_001_000, middle);
    const side = commit('feat: the newest of all', 2_000_005_000, base);
    const merge = commit('Merge the side', 2_000_000_500, skewed, side);
    git(gitDir, 'update-ref', 'refs/heads/main', merge);
    const log = await commitsBetween(gitDir, base, 'main', 10);
    expect(log).toMatchObject({ tip: merge, fromIsParent: true, truncated: false });
    expect(log?.commits.map((c) => c.id).sort()).toEqual([middle, skewed, side].sort());
    expect(await commitsBetween(gitDir, middle, 'main', 10)).toMatchObject({ tip: merge, fromIsParent: true });
    expect(await commitsBetween(gitDir, side, skewed, 10)).toMatchObject({ tip: skewed, fromIsParent: false });
  });

  it('does not see `from` that is no ancestor, and sees nothing of an empty range', async () => {
    const { gitDir, ids } = history(merged, { 'refs/heads/main': 4, 'refs/heads/topic': 1 });
    expect(await commitsBetween(gitDir, ids[1] as string, ids[2] as string, 10)).toMatchObject({
      tip: ids[2],
      fromIsParent: false,
    });
    expect(await commitsBetween(gitDir, ids[4] as string, 'topic', 10)).toEqual({
      tip: null,
      commits: [],
      truncated: false,
      fromIsParent: false,
    });
  });

  it('stops at `max` commits, the newest, and says truncated', async () => {
    const { gitDir, ids } = history(Array.from({ length: 50 }, (_, i) => ({ message: `fix: ${i}` })));
    const log = await commitsBetween(gitDir, null, 'main', 3);
    expect(log).toMatchObject({ tip: ids[49], truncated: true });
    expect(log?.commits.map((commit) => commit.id)).toEqual([ids[49], ids[48], ids[47]]);
  });

  it('reads messages longer than a pipe holds, capped, and the commits around them whole', async () => {
    const huge = `feat: huge\n\n${'é'.repeat(300_000)}`;
    const { gitDir, ids } = history([{ message: 'fix: before' }, { message: huge }, { message: 'fix: after' }]);
    const log = await commitsBetween(gitDir, null, 'main', 10);
    expect(log?.commits.map((commit) => [commit.id, commit.messageCapped])).toEqual([
      [ids[2], false],
      [ids[1], true],
      [ids[0], false],
    ]);
    expect(log?.commits.map((commit) => commit.message.split('\n')[0])).toEqual([
      'fix: after',
      'feat: huge',
      'fix: before',
    ]);
    // cut at MESSAGE_CAP bytes: 'é' is two bytes of UTF-8, so the text is the message's first MESSAGE_CAP bytes
    expect(Buffer.byteLength(log?.commits[1]?.message ?? '')).toBe(MESSAGE_CAP);
    expect(huge.startsWith(log?.commits[1]?.message ?? 'x')).toBe(true);
  });

  it('answers null for a revision git does not know', async () => {
    const { gitDir } = history([{ message: 'fix: a' }]);
    expect(await commitsBetween(gitDir, null, 'no-such-branch', 10)).toBeNull();
    expect(await commitsBetween(gitDir, 'f00dfeedf00dfeedf00dfeedf00dfeedf00dfeed', 'main', 10)).toBeNull();
  });

  it('refuses a ref that reads as an option before anything runs', async () => {
    await expect(commitsBetween(path.join(scratch, 'none'), null, '--output=/tmp/x', 10)).rejects.toThrow(
      /checked ref/,
    );
  });
});

describe('streamGit', () => {
  const ids = () => history(Array.from({ length: 200 }, (_, i) => ({ message: `fix: ${i}` })));

  it('stops git at the output cap and keeps what was read', async () => {
    const { gitDir } = ids();
    const run = await runGit(gitDir, ['log', '--format=%H', 'main'], { cap: 100 });
    expect(run).toMatchObject({ capped: true, stopped: false });
    expect(run.stdout.toString('latin1')).toMatch(/^[0-9a-f]{40}\n[0-9a-f]{40}\n[0-9a-f]{18}$/);
  });

  it('stops git once the reader has what it needs, and fails with the reader’s error', async () => {
    const { gitDir } = ids();
    let chunks = 0;
    const enough = await streamGit(gitDir, ['log', '--format=%H', 'main'], () => ++chunks < 1);
    expect(enough).toMatchObject({ stopped: true, capped: false });
    expect(chunks).toBe(1);
    const broken = new Error('the reader broke');
    await expect(
      streamGit(gitDir, ['log', '--format=%H', 'main'], () => {
        throw broken;
      }),
    ).rejects.toBe(broken);
  });
});
