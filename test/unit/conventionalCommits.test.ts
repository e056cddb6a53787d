import { describe, expect, it } from 'vitest';
import {
  bumpOf,
  cancelReverts,
  groupCommits,
  type NoteCommit,
  nextVersion,
  parseCommit,
  renderNotes,
} from '../../lib/domain/conventionalCommits';
import type { GitCommit } from '../../lib/infra/git';

let counter = 0;
/** A commit as lib/infra/git reads it, with a fresh id unless one is given. */
function commit(message: string, author = 'Ada', id?: string): GitCommit {
  counter += 1;
  return {
    id: id ?? counter.toString(16).padStart(40, 'a'),
    authorName: author,
    authorEmail: `${author.toLowerCase()}@example.test`,
    authoredAt: '2026-12-07T10:00:00+00:00',
    message,
    messageCapped: false,
  };
}
const parsed = (message: string, author?: string, id?: string): NoteCommit => parseCommit(commit(message, author, id));

describe('parseCommit', () => {
  it('reads type, scope and description of a conventional header, the type in lower case', () => {
    expect(parsed('Feat(api): add notes\n\nbody')).toMatchObject({
      type: 'feat',
      scope: 'api',
      subject: 'add notes',
      breaking: [],
      reverts: null,
    });
  });

  it('takes the first line of a message that follows no convention, with no type or scope', () => {
    expect(parsed('Fix the thing (api): really\n\nmore')).toMatchObject({
      type: null,
      scope: null,
      subject: 'Fix the thing (api): really',
    });
  });

  it('reads a breaking change from ! in the header and from BREAKING CHANGE and BREAKING-CHANGE footers', () => {
    expect(parsed('feat(api)!: drop v0 routes').breaking).toEqual(['drop v0 routes']);
    expect(parsed('fix: rename flag\n\nBREAKING CHANGE: --old is now --new').breaking).toEqual(['--old is now --new']);
    expect(parsed('refactor: x\n\nBREAKING-CHANGE: the config moves').breaking).toEqual(['the config moves']);
    expect(parsed('feat: BREAKING CHANGE in the description is no footer').breaking).toEqual([]);
  });

  it('reads the commit a revert names', () => {
    const id = 'b'.repeat(40);
    expect(parsed(`Revert "feat: a"\n\nThis reverts commit ${id}.`).reverts).toBe(id);
  });

  it('reads a message of long lines that a backtracking pattern would never finish (16 KiB of a.b/)', () => {
    expect(parsed(`feat: x\n\n${'a.b/'.repeat(4096)}\n\nBREAKING CHANGE: y`).breaking).toEqual(['y']);
  });
});

describe('cancelReverts', () => {
  it('drops a revert and the commit it reverts when both are in the list', () => {
    const feature = parsed('feat: a');
    const revert = parsed(`Revert "feat: a"\n\nThis reverts commit ${feature.sha}.`);
    const fix = parsed('fix: b');
    expect(cancelReverts([fix, revert, feature]).map((c) => c.sha)).toEqual([fix.sha]);
  });

  it('keeps a revert whose commit is outside the list', () => {
    const revert = parsed(`Revert "feat: a"\n\nThis reverts commit ${'c'.repeat(40)}.`);
    expect(cancelReverts([revert])).toEqual([revert]);
  });

  it('keeps the original when a revert is itself reverted', () => {
    const feature = parsed('feat: a');
    const revert = parsed(`Revert "feat: a"\n\nThis reverts commit ${feature.sha}.`);
    const again = parsed(`Revert "Revert "feat: a""\n\nThis reverts commit ${revert.sha}.`);
    expect(cancelReverts([again, revert, feature]).map((c) => c.sha)).toEqual([feature.sha]);
  });
});

describe('groupCommits', () => {
  it('puts breaking changes first, then features, fixes, performance, other types, and unconventional last', () => {
    const commits = [
      parsed('chore: tidy'),
      parsed('Update README'),
      parsed('fix(ui): button'),
      parsed('zzz: odd type'),
      parsed('perf: faster'),
      parsed('feat!: new api'),
      parsed('feat: shiny'),
      parsed('docs: guide'),
    ];
    expect(groupCommits(commits).map((g) => [g.key, g.title, g.commits.map((c) => c.subject)])).toEqual([
      ['breaking', 'Breaking changes', ['new api']],
      ['feat', 'Features', ['shiny']],
      ['fix', 'Bug fixes', ['button']],
      ['perf', 'Performance', ['faster']],
      ['docs', 'Documentation', ['guide']],
      ['chore', 'Chores', ['tidy']],
      ['zzz', 'zzz', ['odd type']],
      ['other', 'Other changes', ['Update README']],
    ]);
  });
});

describe('renderNotes', () => {
  it('writes one section per group, scopes in bold, short ids, breaking footers, and each author once', () => {
    const a = parsed('feat(api): add notes', 'Ada', `1234567${'0'.repeat(33)}`);
    const b = parsed('fix: off by one\n\nBREAKING CHANGE: counts start at 1', 'Grace', `abcdef0${'0'.repeat(33)}`);
    const c = parsed('fix(cli): *stars* stay text', 'Ada', `7654321${'0'.repeat(33)}`);
    expect(renderNotes(groupCommits([a, b, c]))).toBe(
      [
        '### Breaking changes',
        '',
        '- off by one (abcdef0)',
        '  counts start at 1',
        '',
        '### Features',
        '',
        '- **api:** add notes (1234567)',
        '',
        '### Bug fixes',
        '',
        '- **cli:** \\*stars\\* stay text (7654321)',
        '',
        '### Contributors',
        '',
        '- Grace',
        '- Ada',
      ].join('\n'),
    );
  });
});

describe('bumpOf and nextVersion', () => {
  it.each([
    [['feat!: x'], '1.2.3', 'major', '2.0.0'],
    [['feat!: x'], '0.4.1', 'major', '0.5.0'],
    [['feat: x', 'fix: y'], '1.2.3', 'minor', '1.3.0'],
    [['fix: y'], '1.2.3', 'patch', '1.2.4'],
    [['perf: y'], '1.2.3', 'patch', '1.2.4'],
    [['docs: y', 'chore: z', 'Untyped'], '1.2.3', null, null],
    [['feat!: x'], '2.0.0-rc.3', 'major', '2.0.0-rc.4'],
    [['fix: y'], '2.0.0-rc.3', 'patch', '2.0.0-rc.4'],
    [['feat: x'], null, 'minor', '0.1.0'],
    [['fix: x'], null, 'patch', '0.0.1'],
    [['fix: x'], '1.2.3+build.5', 'patch', '1.2.4'],
  ] as const)('%j after %s is a %s bump: %s', (messages, previous, bump, next) => {
    const commits = messages.map((m) => parsed(m));
    expect(bumpOf(commits)).toBe(bump);
    expect(nextVersion(previous, bumpOf(commits))).toBe(next);
  });
});
