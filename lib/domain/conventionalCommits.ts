import semver from 'semver';
import type { GitCommit } from '../infra/git';

/**
 * Release notes and the next version from Conventional Commits (https://www.conventionalcommits.org/en/v1.0.0/):
 * what each commit says, which commits a revert cancels, how they group, and what version they call for. Pure:
 * the history is read by lib/infra/git and chosen by lib/domain/releaseNotes.
 */

/** One commit as the notes show it. */
export interface NoteCommit {
  sha: string;
  /** the Conventional Commit type, lower case; null for a message that follows no convention */
  type: string | null;
  scope: string | null;
  /** the description after `type(scope): `, or the first line of a message that follows no convention */
  subject: string;
  /** what the commit breaks: its `BREAKING CHANGE:` footers, or its description when it has only a `!` */
  breaking: string[];
  author: { name: string; email: string };
  authoredAt: string;
  /** the commit this one reverts (an id or its prefix, as the message names it), if it is a revert */
  reverts: string | null;
}

/**
 * `type(scope)!: description`; the header is one line, so this is linear. A line is what git splits at \n: `s` lets
 * `.` take the U+2028 and U+2029 that JavaScript would otherwise end a line at (so do the footers).
 */
const HEADER = /^(\w+)(?:\(([^()\r\n]*)\))?(!)?: *(\S.*)$/s;
/** A git trailer's token as the specification names them (`Token: value`, `Token #value`); BREAKING CHANGE too. */
const FOOTER = /^(BREAKING[ -]CHANGE|[\w-]+)(?:: | #)(.*)$/is;
const REVERTED = /This reverts commit ([0-9a-fA-F]{4,64})\b/;

/**
 * The breaking-change footers of a message's body: a footer runs from its token to the next token or the end.
 * Hand-written rather than conventional-commits-parser's: its reference patterns backtrack super-linearly (one
 * 1,000-character line took 4 s to parse, one of 16,000 more than five minutes), and a message is anyone's input.
 */
function breakingFooters(lines: readonly string[]): string[] {
  const found: string[] = [];
  let current: string[] | null = null;
  for (const text of lines) {
    const footer = FOOTER.exec(text);
    if (footer) {
      if (current) found.push(current.join(' '));
      current = /^BREAKING[ -]CHANGE$/i.test(footer[1] ?? '') ? [(footer[2] ?? '').trim()] : null;
    } else if (current) {
      current.push(text.trim());
    }
  }
  if (current) found.push(current.join(' '));
  return found.map((text) => text.replace(/\s+/g, ' ').trim()).filter((text) => text !== '');
}

/** Reads what `commit`'s message says by the convention. */
export function parseCommit(commit: GitCommit): NoteCommit {
  const lines = commit.message.replace(/\r\n?/g, '\n').split('\n');
  const firstLine = lines[0]?.trim() ?? '';
  const header = HEADER.exec(firstLine);
  const type = header?.[1] ? header[1].toLowerCase() : null;
  const subject = (header?.[4] ?? firstLine).trim();
  const footers = breakingFooters(lines.slice(1));
  const breaking = header?.[3] && !footers.length ? [subject] : footers;
  const isRevert = /^revert\b/i.test(firstLine);
  return {
    sha: commit.id,
    type,
    scope: header?.[2]?.trim() || null,
    subject: subject || '(no message)',
    breaking: breaking.filter((text, index, all) => all.indexOf(text) === index),
    author: { name: commit.authorName, email: commit.authorEmail },
    authoredAt: commit.authoredAt,
    reverts: isRevert ? (REVERTED.exec(commit.message)?.[1]?.toLowerCase() ?? null) : null,
  };
}

/**
 * The commits that remain once every revert inside the list has cancelled the commit it reverts (both go). Newest
 * first, as git lists them, so that a revert of a revert cancels that revert and the original stays.
 */
export function cancelReverts(newestFirst: readonly NoteCommit[]): NoteCommit[] {
  const gone = new Set<string>();
  const bySha = (prefix: string) =>
    newestFirst.find((candidate) => candidate.sha.startsWith(prefix) && !gone.has(candidate.sha));
  for (const commit of newestFirst) {
    if (gone.has(commit.sha) || commit.reverts === null) continue;
    const target = bySha(commit.reverts);
    if (target && target !== commit) {
      gone.add(commit.sha);
      gone.add(target.sha);
    }
  }
  return newestFirst.filter((commit) => !gone.has(commit.sha));
}

/** The sections of the notes, in order; types not named here follow `perf` in the order of this list, then A–Z. */
const SECTIONS: ReadonlyArray<[string, string]> = [
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
];
const SECTION_TITLES = new Map(SECTIONS);
/** The key of the section of breaking changes and of commits that follow no convention. */
const BREAKING = 'breaking';
const OTHER = 'other';

export interface NoteGroup {
  /** `breaking`, a commit type, or `other` */
  key: string;
  title: string;
  commits: NoteCommit[];
}

/**
 * The commits grouped as the notes show them: breaking changes first (a breaking commit is listed there only),
 * then features, fixes, performance, the other types, and last the commits that follow no convention.
 */
export function groupCommits(commits: readonly NoteCommit[]): NoteGroup[] {
  const groups = new Map<string, NoteCommit[]>();
  for (const commit of commits) {
    const key = commit.breaking.length ? BREAKING : (commit.type ?? OTHER);
    groups.set(key, [...(groups.get(key) ?? []), commit]);
  }
  const rank = (key: string) => {
    if (key === BREAKING) return -1;
    if (key === OTHER) return SECTIONS.length + 1;
    const known = SECTIONS.findIndex(([type]) => type === key);
    return known === -1 ? SECTIONS.length : known;
  };
  return [...groups.entries()]
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([key, listed]) => ({ key, title: sectionTitle(key), commits: listed }));
}

function sectionTitle(key: string): string {
  if (key === BREAKING) return 'Breaking changes';
  if (key === OTHER) return 'Other changes';
  return SECTION_TITLES.get(key) ?? key;
}

/** The kind of version the commits call for, or null when nothing in them is releasable. */
export type Bump = 'major' | 'minor' | 'patch';

export function bumpOf(commits: readonly NoteCommit[]): Bump | null {
  if (commits.some((commit) => commit.breaking.length)) return 'major';
  if (commits.some((commit) => commit.type === 'feat')) return 'minor';
  if (commits.some((commit) => commit.type === 'fix' || commit.type === 'perf')) return 'patch';
  return null;
}

/**
 * The version after `previous` (null: none yet, counted from 0.0.0) for `bump`: a major bump is a minor one while
 * the major is 0; a pre-release line (`2.0.0-rc.3`) continues its count (`2.0.0-rc.4`) whatever the bump. Null when
 * there is nothing to release.
 */
export function nextVersion(previous: string | null, bump: Bump | null): string | null {
  if (bump === null) return null;
  const base = semver.parse(previous ?? '0.0.0');
  if (base === null) return null;
  if (base.prerelease.length) return semver.inc(base.version, 'prerelease');
  const kind = bump === 'major' && base.major === 0 ? 'minor' : bump;
  return semver.inc(base.version, kind);
}

/** Markdown has no way to break out of a list item from inside a line we escape this way. */
function inline(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/([\\`*_[\]<>|#])/g, '\\$1');
}

function line(commit: NoteCommit): string {
  const scope = commit.scope ? `**${inline(commit.scope)}:** ` : '';
  return `- ${scope}${inline(commit.subject)} (${commit.sha.slice(0, 7)})`;
}

/**
 * The notes in Markdown: one section per group, each commit one line with its scope and short id (a breaking
 * change's footers below it), then every author once, in the order they first appear.
 */
export function renderNotes(
  groups: readonly NoteGroup[],
  authors: readonly string[] = authorsOf(groups.flatMap((group) => group.commits)),
): string {
  const parts: string[] = [];
  for (const group of groups) {
    const lines = group.commits.map((commit) => {
      const what = commit.breaking.filter((text) => text !== commit.subject);
      return [line(commit), ...what.map((text) => `  ${inline(text)}`)].join('\n');
    });
    parts.push(`### ${group.title}\n\n${lines.join('\n')}`);
  }
  if (authors.length) parts.push(`### Contributors\n\n${authors.map((name) => `- ${inline(name)}`).join('\n')}`);
  return parts.join('\n\n');
}

/** Each author once (by email, else by name), in the order they first appear. */
export function authorsOf(commits: readonly NoteCommit[]): string[] {
  const seen = new Map<string, string>();
  for (const { author } of commits) {
    const key = (author.email || author.name).toLowerCase();
    if (!seen.has(key)) seen.set(key, author.name || author.email);
  }
  return [...seen.values()];
}
