import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { handler as createRelease } from '../../functions/createRelease';
import { handler as draftNotes } from '../../functions/draftReleaseNotes';
import { setGitDir } from '../../lib/domain/gitRepos';
import { createRepo } from '../../lib/domain/orgs';
import { NOTES_MAX_COMMITS } from '../../lib/domain/releaseNotes';
import { MESSAGE_CAP } from '../../lib/infra/git';
import { type CommitSpec, makeHistory } from '../../scripts/lib/gitHistory';
import { invoke } from '../helpers/events';
import { gitDirFor, repoWithHistory } from '../helpers/gitRepos';
import { useWorld } from '../helpers/world';

const { pool, world } = useWorld();

function notes(repo: string, body: unknown, token = world.developer.token) {
  return invoke(draftNotes, {
    path: `/api/v1/repos/${repo}/releases/notes`,
    pathParameters: { repo },
    body,
    token,
  });
}

function release(repo: string, body: unknown) {
  return invoke(createRelease, {
    path: `/api/v1/repos/${repo}/releases`,
    pathParameters: { repo },
    body,
    token: world.releaseManager.token,
  });
}

async function released(repo: string, version: string, commit: string) {
  const res = await release(repo, { version, commit });
  expect(res.status).toBe(201);
  return res.body;
}

describe('POST /releases/notes on a linear history', () => {
  it('groups the commits since the previous release, suggests the next version and writes nothing', async () => {
    const { repo, ids } = await repoWithHistory(pool, world.org.slug, [
      { message: 'feat: first' },
      { message: 'fix(cli): flag parsing\n\nCloses #4', author: 'Grace Hopper' },
      { message: 'feat(api): notes endpoint' },
      { message: 'docs: explain notes', author: 'Grace Hopper' },
      { message: 'Tidy up whitespace' },
    ]);
    await released(repo.id, '1.0.0', ids[0] as string);
    const res = await notes(repo.id, { commit: 'main' });
    expect(res.status).toBe(200);
    const short = (i: number) => (ids[i] as string).slice(0, 7);
    expect(res.body).toEqual({
      range: { from: ids[0], to: ids[4], previousVersion: '1.0.0', fromMergeBase: false, truncated: false },
      commits: [
        expect.objectContaining({ sha: ids[2], group: 'feat', type: 'feat', scope: 'api', subject: 'notes endpoint' }),
        expect.objectContaining({
          sha: ids[1],
          group: 'fix',
          scope: 'cli',
          author: expect.objectContaining({ name: 'Grace Hopper' }),
        }),
        expect.objectContaining({ sha: ids[3], group: 'docs' }),
        expect.objectContaining({ sha: ids[4], group: 'other', type: null, subject: 'Tidy up whitespace' }),
      ],
      authors: ['Grace Hopper', 'Ada Lovelace'],
      bump: 'minor',
      nextVersion: '1.1.0',
      reason: 'A feature since 1.0.0: 1.1.0.',
      title: '1.1.0',
      notes: [
        '### Features',
        '',
        `- **api:** notes endpoint (${short(2)})`,
        '',
        '### Bug fixes',
        '',
        `- **cli:** flag parsing (${short(1)})`,
        '',
        '### Documentation',
        '',
        `- explain notes (${short(3)})`,
        '',
        '### Other changes',
        '',
        `- Tidy up whitespace (${short(4)})`,
        '',
        '### Contributors',
        '',
        '- Grace Hopper',
        '- Ada Lovelace',
      ].join('\n'),
      truncated: false,
      warnings: [],
    });
    const [{ n }] = await pool.query(
      // nothing written: still the one release
      (await import('@databases/pg')).sql`SELECT count(*)::int AS n FROM releases WHERE repo_id = ${repo.id}`,
    );
    expect(n).toBe(1);
  });

  it('covers all history when no release names a commit, counting from 0.0.0', async () => {
    const { repo, ids } = await repoWithHistory(pool, world.org.slug, [{ message: 'fix: a' }, { message: 'fix: b' }]);
    const res = await notes(repo.id, { commit: ids[1] });
    expect(res.body).toMatchObject({
      range: { from: null, to: ids[1], previousVersion: null },
      nextVersion: '0.0.1',
      commits: [{ sha: ids[0] }, { sha: ids[1] }],
    });
  });

  it('says no version is suggested when nothing is releasable', async () => {
    const { repo, ids } = await repoWithHistory(pool, world.org.slug, [
      { message: 'feat: base' },
      { message: 'docs: a' },
      { message: 'chore: b' },
    ]);
    await released(repo.id, '2.3.0', ids[0] as string);
    const res = await notes(repo.id, { commit: ids[2] });
    expect(res.body).toMatchObject({
      bump: null,
      nextVersion: null,
      reason:
        'Nothing releasable since 2.3.0 (no feature, fix, performance or breaking change): no version is suggested.',
      title: 'Unreleased changes',
    });
  });

  it('starts from the highest release below `version`, or from `previousVersion`', async () => {
    const { repo, ids } = await repoWithHistory(pool, world.org.slug, [
      { message: 'feat: a' },
      { message: 'fix: b' },
      { message: 'fix: c' },
      { message: 'fix: d' },
    ]);
    await released(repo.id, '1.0.0', ids[0] as string);
    await released(repo.id, '1.0.1', ids[1] as string);
    await released(repo.id, '1.0.2', ids[2] as string);
    const below = await notes(repo.id, { commit: ids[2], version: '1.0.2' });
    expect(below.body).toMatchObject({ range: { from: ids[1], previousVersion: '1.0.1' }, title: '1.0.2' });
    expect(below.body.commits.map((c: { sha: string }) => c.sha)).toEqual([ids[2]]);
    const chosen = await notes(repo.id, { commit: ids[3], previousVersion: 'v1.0.0' });
    expect(chosen.body).toMatchObject({ range: { from: ids[0], previousVersion: '1.0.0' }, nextVersion: '1.0.1' });
    expect(chosen.body.commits).toHaveLength(3);
    const unknown = await notes(repo.id, { commit: ids[3], previousVersion: '0.9.0' });
    expect(unknown).toMatchObject({ status: 422, body: { errors: [{ path: '/body/previousVersion' }] } });
  });
});

describe('POST /releases/notes and drafts', () => {
  it('counts from the published release before a draft, which has not been released', async () => {
    const { repo, ids } = await repoWithHistory(pool, world.org.slug, [
      { message: 'feat: a' },
      { message: 'fix: b' },
      { message: 'fix: c' },
    ]);
    await released(repo.id, '1.0.0', ids[0] as string);
    expect((await release(repo.id, { version: '1.0.1', commit: ids[1], draft: true })).status).toBe(201);
    const drafted = await notes(repo.id, { commit: ids[2], version: '1.0.2' });
    expect(drafted.body).toMatchObject({ range: { from: ids[0], previousVersion: '1.0.0' } });
    const named = await notes(repo.id, { commit: ids[2], previousVersion: '1.0.1' });
    expect(named).toMatchObject({ status: 422, body: { errors: [{ path: '/body/previousVersion' }] } });
  });
});

describe('POST /releases/notes reads what the history says', () => {
  it('puts breaking changes first (from ! and footers) and bumps the major, or the minor while 0.x', async () => {
    const history: CommitSpec[] = [
      { message: 'feat: base' },
      { message: 'feat(api)!: drop the v0 routes' },
      { message: 'fix: rename flag\n\nBREAKING CHANGE: --old is now --new' },
      { message: 'perf: faster' },
    ];
    const { repo, ids } = await repoWithHistory(pool, world.org.slug, history);
    await released(repo.id, '1.4.2', ids[0] as string);
    const res = await notes(repo.id, { commit: 'main' });
    expect(res.body.notes).toMatch(
      /^### Breaking changes\n\n- \*\*api:\*\* drop the v0 routes \([0-9a-f]{7}\)\n- rename flag \([0-9a-f]{7}\)\n {2}--old is now --new\n\n### Performance/,
    );
    expect(res.body).toMatchObject({ bump: 'major', nextVersion: '2.0.0' });
    const zero = await repoWithHistory(pool, world.org.slug, history);
    await released(zero.repo.id, '0.3.0', zero.ids[0] as string);
    expect((await notes(zero.repo.id, { commit: 'main' })).body.nextVersion).toBe('0.4.0');
  });

  it('skips merge commits and cancels a revert with the commit it reverts', async () => {
    const before: CommitSpec[] = [
      { message: 'feat: base' }, // 0
      { message: 'feat: on a branch', parents: [0] }, // 1
      { message: 'fix: on main', parents: [0] }, // 2
      { message: "Merge branch 'topic'", parents: [2, 1] }, // 3
      { message: 'feat: regretted' }, // 4
    ];
    // a revert names the commit it reverts by id: the same commits made elsewhere first have the same ids
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'gitweave-scratch-'));
    const regretted = makeHistory(path.join(scratch, 'x.git'), before)[4];
    fs.rmSync(scratch, { recursive: true, force: true });
    const { repo, ids } = await repoWithHistory(pool, world.org.slug, [
      ...before,
      { message: `Revert "feat: regretted"\n\nThis reverts commit ${regretted}.` },
    ]);
    expect(ids[4]).toBe(regretted);
    await released(repo.id, '1.0.0', ids[0] as string);
    const res = await notes(repo.id, { commit: 'main' });
    expect(res.body.commits.map((c: { subject: string }) => c.subject).sort()).toEqual(['on a branch', 'on main']);
    expect(res.body.notes).not.toMatch(/Merge|regretted|Revert/);
    expect(res.body.nextVersion).toBe('1.1.0');
  });

  it('lists an author once however many commits they made', async () => {
    const { repo } = await repoWithHistory(pool, world.org.slug, [
      { message: 'fix: a', author: 'Linus' },
      { message: 'fix: b', author: 'Ada' },
      { message: 'fix: c', author: 'Linus' },
    ]);
    expect((await notes(repo.id, { commit: 'main' })).body.authors).toEqual(['Linus', 'Ada']);
  });

  it('continues a pre-release line', async () => {
    const { repo, ids } = await repoWithHistory(pool, world.org.slug, [
      { message: 'feat!: new world' },
      { message: 'fix: polish' },
      { message: 'feat: more' },
    ]);
    await released(repo.id, '2.0.0-rc.3', ids[0] as string);
    expect((await notes(repo.id, { commit: 'main' })).body).toMatchObject({
      nextVersion: '2.0.0-rc.4',
      range: { previousVersion: '2.0.0-rc.3' },
    });
  });

  it('decodes a message that is not UTF-8 with replacement characters, and caps a huge one', async () => {
    const latin1 = Buffer.concat([Buffer.from('fix: caf'), Buffer.from([0xe9]), Buffer.from(' au lait')]);
    const huge = `feat: big\n\n${'x'.repeat(MESSAGE_CAP * 4)}\n\nBREAKING CHANGE: lost past the cap`;
    const { repo } = await repoWithHistory(pool, world.org.slug, [{ message: latin1 }, { message: huge }]);
    const res = await notes(repo.id, { commit: 'main' });
    expect(res.status).toBe(200);
    expect(res.body.commits.map((c: { subject: string }) => c.subject)).toEqual(['big', 'caf\uFFFD au lait']);
    expect(res.body.bump).toBe('minor');
  });

  it('starts from the merge base when the previous release is not an ancestor, and says so', async () => {
    const { repo, ids } = await repoWithHistory(
      pool,
      world.org.slug,
      [
        { message: 'feat: base' }, // 0
        { message: 'fix: hotfix on the 1.x line' }, // 1
        { message: 'feat: on main', parents: [0] }, // 2
      ],
      { 'refs/heads/main': 2, 'refs/heads/v1': 1 },
    );
    await released(repo.id, '1.0.1', ids[1] as string);
    const res = await notes(repo.id, { commit: 'main' });
    expect(res.body.range).toEqual({
      from: ids[0],
      to: ids[2],
      previousVersion: '1.0.1',
      fromMergeBase: true,
      truncated: false,
    });
    expect(res.body.warnings).toEqual([
      `The commit of release 1.0.1 (${ids[1]?.slice(0, 12)}) is not an ancestor of ${ids[2]?.slice(0, 12)}: notes start from their merge base ${ids[0]?.slice(0, 12)}.`,
    ]);
    expect(res.body.commits.map((c: { sha: string }) => c.sha)).toEqual([ids[2]]);
  });

  it(`caps a range of more than ${NOTES_MAX_COMMITS} commits to the newest and says truncated`, async () => {
    const many = Array.from({ length: NOTES_MAX_COMMITS + 10 }, (_, i) => ({ message: `fix: change ${i}` }));
    const { repo, ids } = await repoWithHistory(pool, world.org.slug, many);
    const res = await notes(repo.id, { commit: 'main' });
    expect(res.status).toBe(200);
    expect(res.body.truncated).toBe(true);
    expect(res.body.range.truncated).toBe(true);
    expect(res.body.commits).toHaveLength(NOTES_MAX_COMMITS);
    expect(res.body.commits.at(-1).sha).toBe(ids.at(-1));
    expect(res.body.warnings[0]).toMatch(/more than 5000 commits/);
  });
});

describe('POST /releases/notes refuses bad input', () => {
  it('answers 422 naming a commit that does not exist or is ambiguous', async () => {
    // enough commits that two ids share a 4-digit prefix
    const many = Array.from({ length: 1500 }, (_, i) => ({ message: `chore: ${i}` }));
    const { repo, ids } = await repoWithHistory(pool, world.org.slug, many);
    const missing = await notes(repo.id, { commit: 'f00dfeedf00dfeedf00dfeedf00dfeedf00dfeed' });
    expect(missing).toMatchObject({
      status: 422,
      body: {
        detail: 'Commit f00dfeedf00dfeedf00dfeedf00dfeedf00dfeed is not a commit of this repo.',
        errors: [{ path: '/body/commit', message: 'is not a commit of this repo' }],
      },
    });
    const prefixes = new Map<string, number>();
    for (const id of ids) prefixes.set(id.slice(0, 4), (prefixes.get(id.slice(0, 4)) ?? 0) + 1);
    const shared = [...prefixes].find(([, count]) => count > 1)?.[0] as string;
    const ambiguous = await notes(repo.id, { commit: shared });
    expect(ambiguous).toMatchObject({
      status: 422,
      body: { detail: `Commit ${shared} is ambiguous in this repo: give more of the commit id.` },
    });
    expect((await notes(repo.id, { commit: 'no-such-branch' })).status).toBe(422);
  });

  it('refuses a ref that reads as an option or a revision expression, and runs nothing', async () => {
    const { repo } = await repoWithHistory(pool, world.org.slug, [{ message: 'fix: a' }]);
    const out = path.join(os.tmpdir(), `gitweave-option-${process.pid}`);
    for (const ref of [
      `--output=${out}`,
      '-c core.pager=touch /tmp/x',
      'main..HEAD',
      'HEAD@{1}',
      'main:README',
      'a b',
    ]) {
      const res = await notes(repo.id, { commit: ref });
      expect(res.status, ref).toBe(422);
      expect(res.body.errors, ref).toEqual([
        {
          path: '/body/commit',
          message: 'must be a commit id or a ref name (letters, digits, . _ / + -; not starting with -)',
        },
      ]);
    }
    expect(fs.existsSync(out)).toBe(false);
  });

  it('answers 409 naming GIT_REPOS_DIR for a repo with no git repository', async () => {
    const bare = await createRepo(pool, world.org.slug, `no-history-${Date.now()}`);
    const res = await notes(bare.id, { commit: 'main' });
    expect(res.status).toBe(409);
    expect(res.body.detail).toBe(
      `This repo's history cannot be read: there is no git repository at ${world.org.slug}/${bare.name}.git under GIT_REPOS_DIR. Set GIT_REPOS_DIR, or the repo's own git directory with the admin command (repo git-dir).`,
    );
  });

  it('reads a symlinked repository only when its real path is under GIT_REPOS_DIR', async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'gitweave-outside-'));
    makeHistory(path.join(outside, 'real.git'), [{ message: 'fix: outside' }], { 'refs/heads/main': 0 });
    const linkedOut = await createRepo(pool, world.org.slug, `linked-out-${Date.now()}`);
    fs.mkdirSync(path.dirname(gitDirFor(world.org.slug, linkedOut.name)), { recursive: true });
    fs.symlinkSync(path.join(outside, 'real.git'), gitDirFor(world.org.slug, linkedOut.name));
    const refused = await notes(linkedOut.id, { commit: 'main' });
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toMatch(/is a symlink to a place outside GIT_REPOS_DIR, so it is not read/);

    const inside = await repoWithHistory(pool, world.org.slug, [{ message: 'fix: inside' }]);
    const linkedIn = await createRepo(pool, world.org.slug, `linked-in-${Date.now()}`);
    fs.symlinkSync(gitDirFor(world.org.slug, inside.repo.name), gitDirFor(world.org.slug, linkedIn.name));
    expect((await notes(linkedIn.id, { commit: 'main' })).body.commits[0].subject).toBe('inside');
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it('reads the git directory an admin set for the repo, and 409 when it is gone', async () => {
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'gitweave-elsewhere-'));
    const ids = makeHistory(path.join(elsewhere, 'x.git'), [{ message: 'feat: elsewhere' }], { 'refs/heads/main': 0 });
    const repo = await createRepo(pool, world.org.slug, `set-dir-${Date.now()}`);
    await setGitDir(pool, world.org.slug, repo.name, path.join(elsewhere, 'x.git'));
    expect((await notes(repo.id, { commit: 'main' })).body.range.to).toBe(ids[0]);
    fs.rmSync(elsewhere, { recursive: true, force: true });
    const gone = await notes(repo.id, { commit: 'main' });
    expect(gone.status).toBe(409);
    expect(gone.body.detail).toMatch(/the git directory set for this repo \(admin: repo git-dir\)/);
  });
});

describe('POST /releases with a commit', () => {
  it('records the full id of a commit named by a short id or a ref, and refuses an unknown one with 422', async () => {
    const { repo, ids } = await repoWithHistory(pool, world.org.slug, [{ message: 'feat: a' }, { message: 'fix: b' }]);
    expect((await release(repo.id, { version: '1.0.0', commit: (ids[0] as string).slice(0, 10) })).body).toMatchObject({
      commit: ids[0],
      notesRange: null,
      notes: '',
    });
    expect((await release(repo.id, { version: '1.0.1', commit: 'main' })).body.commit).toBe(ids[1]);
    const unknown = await release(repo.id, { version: '1.0.2', commit: 'deadbeefdeadbeef' });
    expect(unknown).toMatchObject({ status: 422, body: { errors: [{ path: '/body/commit' }] } });
  });

  it('keeps a commit as given in a repo without a git repository, but never one that reads as an option', async () => {
    const bare = await createRepo(pool, world.org.slug, `no-git-${Date.now()}`);
    expect((await release(bare.id, { version: '1.0.0', commit: 'release/1.0' })).body.commit).toBe('release/1.0');
    expect((await release(bare.id, { version: '1.0.1', commit: '--upload-pack=x' })).status).toBe(422);
    expect((await release(bare.id, { version: '1.0.2', commit: 'main', generateNotes: true })).status).toBe(409);
  });

  it('fills the notes with generateNotes, records their range, and keeps notes that are given', async () => {
    const { repo, ids } = await repoWithHistory(pool, world.org.slug, [
      { message: 'feat: a' },
      { message: 'feat(ui): b' },
      { message: 'fix: c' },
    ]);
    await released(repo.id, '1.0.0', ids[0] as string);
    const res = await release(repo.id, { version: '1.1.0', commit: 'main', generateNotes: true });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      commit: ids[2],
      notesRange: { from: ids[0], to: ids[2], previousVersion: '1.0.0', fromMergeBase: false, truncated: false },
      notes: expect.stringMatching(/^### Features\n\n- \*\*ui:\*\* b .*\n\n### Bug fixes\n\n- c /),
    });
    const given = await release(repo.id, { version: '1.2.0', commit: 'main', generateNotes: true, notes: 'mine' });
    expect(given.body).toMatchObject({ notes: 'mine', notesRange: { from: ids[2], to: ids[2] } });
    const noCommit = await release(repo.id, { version: '1.3.0', generateNotes: true });
    expect(noCommit).toMatchObject({ status: 400, body: { errors: [{ path: '/body/commit' }] } });
  });

  it('cuts generated notes to RELEASE_NOTES_MAX_LEN at a line, saying how much was left out', async () => {
    const many = Array.from({ length: 400 }, (_, i) => ({ message: `fix: a change with a long description ${i}` }));
    const { repo } = await repoWithHistory(pool, world.org.slug, many);
    const res = await release(repo.id, { version: '0.0.1', commit: 'main', generateNotes: true });
    expect(res.status).toBe(201);
    expect([...res.body.notes].length).toBeLessThanOrEqual(5000);
    expect(res.body.notes).toMatch(
      /\n\n… \d+ more lines of generated notes were left out \(RELEASE_NOTES_MAX_LEN\)\.$/,
    );
  });
});
