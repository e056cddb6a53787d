import type { NotesRange, ReleaseNotes } from '../../schemas/releaseNotes';
import { type Queryable, sql } from '../infra/db';
import { Unprocessable } from '../infra/errors';
import { commitsBetween, type GitLog, isObjectId, mergeBase, resolveCommits } from '../infra/git';
import { GitError } from '../infra/gitProcess';
import {
  authorsOf,
  bumpOf,
  cancelReverts,
  groupCommits,
  nextVersion,
  parseCommit,
  renderNotes,
} from './conventionalCommits';
import { checkRefShape, commitIn, gitDirOf, resolvedCommit } from './gitRepos';
import { normalizeVersion } from './versions';

/** Most commits one set of notes covers; a longer range is cut to its newest commits and says `truncated`. */
export const NOTES_MAX_COMMITS = 5000;

/** The release a range starts from: its version and the commit it names. */
interface Previous {
  version: string;
  commit: string | null;
}

/**
 * The release notes starts after: `previousVersion` if given (it must be a release of this repo that names a
 * commit), else the highest SemVer release below `version` (any, when `version` is not given) that names a commit.
 * `base` is the highest release below `version` at all, the one the next version counts from.
 */
async function previousRelease(
  db: Queryable,
  repoId: string,
  version: string | null,
  previousVersion: string | null,
  pointer: string,
): Promise<{ from: Previous | null; base: string | null }> {
  if (previousVersion !== null) {
    const [row] = await db.query(
      sql`SELECT version, commit FROM releases WHERE repo_id = ${repoId} AND version = ${previousVersion} AND NOT draft`,
    );
    if (!row) {
      throw new Unprocessable(`Version ${previousVersion} has not been released in this repo.`, [
        { path: pointer, message: 'is not a release of this repo' },
      ]);
    }
    if (row.commit === null) {
      throw new Unprocessable(`Release ${previousVersion} names no commit, so no history starts from it.`, [
        { path: pointer, message: 'names no commit' },
      ]);
    }
    return { from: { version: row.version, commit: row.commit }, base: row.version };
  }
  // a draft has not been released: history is counted from the published release before it
  const below = sql`NOT draft AND ${version === null ? sql`TRUE` : sql`version_key < semver_sort_key(${version})`}`;
  const [row] = await db.query(sql`
    SELECT
      (SELECT json_build_object('version', version, 'commit', commit) FROM releases
       WHERE repo_id = ${repoId} AND ${below} AND commit IS NOT NULL
       ORDER BY version_key DESC LIMIT 1) AS "from",
      (SELECT version FROM releases WHERE repo_id = ${repoId} AND ${below}
       ORDER BY version_key DESC LIMIT 1) AS base`);
  return { from: row?.from ?? null, base: row?.base ?? null };
}

/** The range notes cover, its commits, and what the reader should know about where it starts. */
interface Range {
  from: string | null;
  to: string;
  fromMergeBase: boolean;
  read: GitLog;
  warnings: string[];
}

/**
 * The range from `previous`'s commit to `commit` and its commits. One `git log` answers when the previous release
 * names a full commit id that is an ancestor of `commit` (it is then a parent of a commit of the range), or names
 * none: git resolves `commit` itself and prints that commit first. Otherwise (a ref, an empty range, a previous commit
 * that is not an ancestor, or one not seen before the range was cut) the two are resolved in one process and their
 * merge base asked, as `readResolvedRange` does.
 */
async function readRange(
  gitDir: string,
  commit: string,
  previous: Previous | null,
  pointers: { commit: string; previousVersion: string },
): Promise<Range> {
  const start = previous?.commit ?? null;
  const quick =
    start === null || isObjectId(start) ? await commitsBetween(gitDir, start, commit, NOTES_MAX_COMMITS) : null;
  if (quick?.tip && (start === null || quick.fromIsParent))
    return { from: start, to: quick.tip, fromMergeBase: false, read: quick, warnings: [] };
  return readResolvedRange(gitDir, commit, previous, pointers, quick);
}

async function readResolvedRange(
  gitDir: string,
  commit: string,
  previous: Previous | null,
  pointers: { commit: string; previousVersion: string },
  quick: GitLog | null,
): Promise<Range> {
  const [named, started] = await resolveCommits(gitDir, previous?.commit ? [commit, previous.commit] : [commit]);
  const to = resolvedCommit(commit, named ?? { problem: 'unknown' }, pointers.commit);
  const warnings: string[] = [];
  let from: string | null = null;
  let fromMergeBase = false;
  if (previous?.commit && started) {
    if (!('id' in started)) {
      warnings.push(
        `The commit of release ${previous.version} (${previous.commit}) is not in this repo: notes cover all history up to ${to.slice(0, 12)}.`,
      );
    } else {
      const start = started.id;
      from = start === to ? start : await mergeBase(gitDir, start, to);
      if (from !== start) {
        fromMergeBase = true;
        warnings.push(
          from === null
            ? `The commit of release ${previous.version} (${start.slice(0, 12)}) shares no history with ${to.slice(0, 12)}: notes cover all of its history.`
            : `The commit of release ${previous.version} (${start.slice(0, 12)}) is not an ancestor of ${to.slice(0, 12)}: notes start from their merge base ${from.slice(0, 12)}.`,
        );
      }
    }
  }
  let read: GitLog | null = { tip: to, commits: [], truncated: false, fromIsParent: false };
  // the quick read already holds this range when the previous commit is an ancestor it did not reach
  if (quick?.tip === to && from === previous?.commit) read = quick;
  else if (from !== to) read = await commitsBetween(gitDir, from, to, NOTES_MAX_COMMITS);
  if (read === null) throw new GitError(`git log could not read ${from ?? 'the history'} to ${to}`);
  return { from, to, fromMergeBase, read, warnings };
}

/**
 * Release notes for repo `repoId` up to `commit`, and the version they call for, read from the repo's git history;
 * writes nothing. The range starts at the previous release's commit (see `previousRelease`); when that commit is not
 * an ancestor of `commit`, at their merge base, and the range says so.
 */
export async function draftReleaseNotes(
  db: Queryable,
  repoId: string,
  input: { commit: string; version?: string; previousVersion?: string },
  pointers = { commit: '/body/commit', version: '/body/version', previousVersion: '/body/previousVersion' },
): Promise<ReleaseNotes> {
  const version = input.version === undefined ? null : checkedVersion(input.version, pointers.version);
  const previousVersion =
    input.previousVersion === undefined ? null : checkedVersion(input.previousVersion, pointers.previousVersion);
  const gitDir = await gitDirOf(db, repoId);
  checkRefShape(input.commit, pointers.commit);
  const { from: previous, base } = await previousRelease(
    db,
    repoId,
    version,
    previousVersion,
    pointers.previousVersion,
  ).catch(async (err: unknown) => {
    await commitIn(gitDir, input.commit, pointers.commit); // a commit that names nothing is the first thing said
    throw err;
  });
  const { from, to, fromMergeBase, read, warnings } = await readRange(gitDir, input.commit, previous, pointers);
  if (read.truncated) {
    warnings.push(
      `The range holds more than ${read.commits.length} commits (or more history than is read at once): the notes cover the newest ${read.commits.length}.`,
    );
  }
  const kept = cancelReverts(read.commits.map(parseCommit)).reverse();
  const groups = groupCommits(kept);
  const authors = authorsOf(kept);
  const bump = bumpOf(kept);
  const next = nextVersion(base, bump);
  const range: NotesRange = {
    from,
    to,
    previousVersion: previous?.version ?? null,
    fromMergeBase,
    truncated: read.truncated,
  };
  return {
    range,
    commits: groups.flatMap((group) =>
      group.commits.map((commit) => ({
        sha: commit.sha,
        group: group.key,
        type: commit.type,
        scope: commit.scope,
        subject: commit.subject,
        breaking: commit.breaking,
        author: commit.author,
        authoredAt: commit.authoredAt,
      })),
    ),
    authors,
    bump,
    nextVersion: next,
    reason: reasonFor(bump, base, next, kept.length),
    title: version ?? next ?? 'Unreleased changes',
    notes: renderNotes(groups, authors),
    truncated: read.truncated,
    warnings,
  };
}

function checkedVersion(raw: string, pointer: string): string {
  const version = normalizeVersion(raw);
  if (version === null) {
    throw new Unprocessable(`"${raw}" is not a SemVer 2.0.0 version.`, [
      { path: pointer, message: 'must be SemVer 2.0.0' },
    ]);
  }
  return version;
}

const BUMP_CAUSES = { major: 'A breaking change', minor: 'A feature', patch: 'A fix or performance change' } as const;

function reasonFor(
  bump: keyof typeof BUMP_CAUSES | null,
  base: string | null,
  next: string | null,
  count: number,
): string {
  const since = base === null ? 'with no release before' : `since ${base}`;
  if (count === 0) return `No commits ${since}: no version is suggested.`;
  if (bump === null)
    return `Nothing releasable ${since} (no feature, fix, performance or breaking change): no version is suggested.`;
  return `${BUMP_CAUSES[bump]} ${since}: ${next}.`;
}

/**
 * Notes cut to at most `max` characters at a line's end, with a last line saying how much was left out; unchanged
 * when they fit.
 */
export function fitNotes(notes: string, max: number): string {
  if ([...notes].length <= max) return notes;
  const lines = notes.split('\n');
  const kept: string[] = [];
  let length = 0;
  for (const [index, text] of lines.entries()) {
    const tail = `\n\n… ${lines.length - index} more lines of generated notes were left out (RELEASE_NOTES_MAX_LEN).`;
    if (length + [...text].length + 1 + [...tail].length > max) {
      const cut = `${kept.join('\n')}${tail}`;
      return [...cut].length <= max ? cut : [...cut].slice(0, max).join('');
    }
    kept.push(text);
    length += [...text].length + 1;
  }
  return notes;
}
