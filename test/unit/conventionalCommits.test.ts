import { describe, expect, it } from 'vitest';
import {
  authorsOf,
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

describe('parseCommit on messages as people write them', () => {
  it('reads a footer that runs on over several lines as one text, its whitespace collapsed', () => {
    const message = 'feat: x\n\nBREAKING CHANGE: the API\n   now needs  a token\n\nReviewed-by: Grace\n';
    expect(parsed(message).breaking).toEqual(['the API now needs a token']);
  });

  it('reads a footer that runs on to the end of the message', () => {
    expect(parsed('feat: x\n\nBREAKING CHANGE: the API\n  needs a token').breaking).toEqual(['the API needs a token']);
  });

  it('reads a header and a footer with a Unicode line separator in them as one line each, as git does', () => {
    const message = 'feat: one\u2028line\n\nBREAKING CHANGE: drops\u2029this';
    expect(parsed(message)).toMatchObject({ type: 'feat', subject: 'one\u2028line', breaking: ['drops this'] });
  });

  it('ends a breaking footer at the next footer token, and keeps each of several', () => {
    const message = 'fix: x\n\nBREAKING CHANGE: one\nRefs: #12\nBREAKING-CHANGE: two\n';
    expect(parsed(message).breaking).toEqual(['one', 'two']);
  });

  it('lists a breaking change that two footers say once', () => {
    expect(parsed('fix: x\n\nBREAKING CHANGE: same\nBREAKING-CHANGE: same').breaking).toEqual(['same']);
  });

  it('takes only the exact BREAKING CHANGE token as breaking, not a token that contains it', () => {
    expect(parsed('fix: x\n\nNot-Breaking-Change: fine').breaking).toEqual([]);
    expect(parsed('fix: x\n\nBREAKING-CHANGES: fine').breaking).toEqual([]);
  });

  it('does not count an empty breaking footer, but a ! still counts', () => {
    expect(parsed('fix: x\n\nBREAKING CHANGE: ').breaking).toEqual([]);
    expect(parsed('fix!: x\n\nBREAKING CHANGE: ').breaking).toEqual(['x']);
  });

  it('never reads the header line as a footer', () => {
    expect(parsed('BREAKING CHANGE: drop Node 18').breaking).toEqual([]);
  });

  it('reads messages with CRLF and with lone CR line ends as with LF', () => {
    for (const end of ['\r\n', '\r']) {
      expect(parsed(`fix(api): x${end}${end}BREAKING CHANGE: y`)).toMatchObject({
        type: 'fix',
        scope: 'api',
        subject: 'x',
        breaking: ['y'],
      });
    }
  });

  it('reads a header with space around it and in its scope', () => {
    expect(parsed('  fix( api ): padded  \n')).toMatchObject({ type: 'fix', scope: 'api', subject: 'padded' });
  });

  it('names an empty message "(no message)"', () => {
    expect(parsed('')).toMatchObject({ type: null, subject: '(no message)', breaking: [], reverts: null });
  });

  it('takes only a message that starts with Revert for a revert', () => {
    const id = 'd'.repeat(40);
    expect(parsed(`docs: how to revert\n\nThis reverts commit ${id} is how git words it.`).reverts).toBeNull();
    expect(parsed('Revert "feat: a"\n\nwith no line that names the commit').reverts).toBeNull();
    expect(parsed(`revert: feat a\n\nThis reverts commit ${'AB12'.repeat(10)}.`).reverts).toBe('ab12'.repeat(10));
  });
});

describe('cancelReverts by abbreviated ids', () => {
  it('cancels the commit whose id starts with the prefix a revert names', () => {
    const feature = parsed('feat: a', 'Ada', `abcdef12${'0'.repeat(32)}`);
    const other = parsed('fix: b', 'Ada', `${'0'.repeat(32)}abcdef12`);
    const revert = parsed('Revert "feat: a"\n\nThis reverts commit abcdef12.');
    expect(cancelReverts([revert, other, feature]).map((c) => c.sha)).toEqual([other.sha]);
  });

  it('keeps a revert whose named prefix matches only its own id', () => {
    const revert = parsed('Revert "feat: a"\n\nThis reverts commit 5e1f.', 'Ada', `5e1f${'0'.repeat(36)}`);
    expect(cancelReverts([revert])).toEqual([revert]);
  });
});

describe('bumpOf and nextVersion on mixed and odd input', () => {
  it('calls for a major bump when any commit breaks, and a patch when any is a fix among chores', () => {
    expect(bumpOf([parsed('feat!: x'), parsed('feat: y')])).toBe('major');
    expect(bumpOf([parsed('chore: x'), parsed('fix: y')])).toBe('patch');
  });

  it('has no next version for nothing releasable, even on a pre-release line, nor after a previous that is no version', () => {
    expect(nextVersion('2.0.0-rc.3', null)).toBeNull();
    expect(nextVersion('not a version', 'minor')).toBeNull();
  });
});

describe('renderNotes and authors', () => {
  it('lists the commits of a group one per line, a ! commit without its subject again below it', () => {
    const a = parsed('feat!: new api', 'Ada', `1111111${'0'.repeat(33)}`);
    const b = parsed('feat: shiny', 'Ada', `2222222${'0'.repeat(33)}`);
    const c = parsed('feat: shinier', 'Ada', `3333333${'0'.repeat(33)}`);
    expect(renderNotes(groupCommits([a, b, c]), [])).toBe(
      [
        '### Breaking changes',
        '',
        '- new api (1111111)',
        '',
        '### Features',
        '',
        '- shiny (2222222)',
        '- shinier (3333333)',
      ].join('\n'),
    );
  });

  it('keeps an author name with line breaks on its own list line', () => {
    expect(renderNotes([], ['Ada\r\nLovelace'])).toBe('### Contributors\n\n- Ada Lovelace');
  });

  it('names each author once by email, any case, with the name they first appear with', () => {
    const first = parseCommit({ ...commit('fix: a'), authorName: 'Ada', authorEmail: 'ada@example.test' });
    const again = parseCommit({ ...commit('fix: b'), authorName: 'Ada L.', authorEmail: 'ADA@example.test' });
    const noEmail = parseCommit({ ...commit('fix: c'), authorName: 'Grace', authorEmail: '' });
    expect(authorsOf([first, again, noEmail])).toEqual(['Ada', 'Grace']);
  });
});

describe('the convention at the edges of a line', () => {
  it('reads a header only from the start of the line, with or without a space after the colon', () => {
    expect(parsed('Update docs: fix a typo')).toMatchObject({ type: null, subject: 'Update docs: fix a typo' });
    expect(parsed('fix:no space')).toMatchObject({ type: 'fix', subject: 'no space' });
  });

  it('reads a footer only from the start of a body line', () => {
    expect(parsed('fix: x\n\nNot a footer, BREAKING CHANGE: hidden').breaking).toEqual([]);
  });
});

describe('the sections of the notes', () => {
  it('titles every known type and orders the sections as the list does, unknown types before unconventional', () => {
    const types = ['style', 'chore', 'test', 'ci', 'build', 'docs', 'refactor', 'revert', 'perf', 'fix', 'feat'];
    const commits = [parsed('Untyped'), parsed('aaa: unknown'), ...types.map((type) => parsed(`${type}: x`))];
    expect(groupCommits(commits).map((group) => [group.key, group.title])).toEqual([
      ['feat', 'Features'],
      ['fix', 'Bug fixes'],
      ['perf', 'Performance'],
      ['revert', 'Reverts'],
      ['refactor', 'Refactoring'],
      ['docs', 'Documentation'],
      ['build', 'Build'],
      ['ci', 'Continuous integration'],
      ['test', 'Tests'],
      ['style', 'Style'],
      ['chore', 'Chores'],
      ['aaa', 'aaa'],
      ['other', 'Other changes'],
    ]);
  });
});
