import { GitError, runGit, streamGit } from './gitProcess';

/**
 * Reading a bare git repository with the `git` binary: fixed arguments, every revision a full object id or a ref
 * checked by `isSafeRef` and put after `--end-of-options` (or on standard input), a timeout and a cap on what is read
 * (lib/infra/gitProcess). Measured against isomorphic-git on a 100,000-commit history (bench/notes.ts), `git log` was
 * several times faster; it also reads every pack and ref format git writes. Nothing here writes to a repository.
 */

/**
 * Whether `ref` may be handed to git as a revision: an object id (4 to 64 hex digits) or a ref name of the
 * characters refs are made of, that cannot be read as an option (`-…`), a range (`a..b`), a reflog entry (`@{…}`),
 * a path (`rev:path`) or a revision expression (`^`, `~`).
 */
export function isSafeRef(ref: string): boolean {
  return (
    ref.length <= 255 &&
    /^[A-Za-z0-9_][A-Za-z0-9._/+-]*$/.test(ref) &&
    !ref.includes('..') &&
    !ref.includes('//') &&
    !ref.endsWith('.lock') &&
    !ref.endsWith('/') &&
    !ref.endsWith('.')
  );
}

/** Whether `id` is a full object id (SHA-1 or SHA-256), as git prints them. */
export function isObjectId(id: string): boolean {
  return /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(id);
}

/** Why a revision could not be resolved to one commit. */
type Unresolved = 'unknown' | 'ambiguous' | 'not-a-commit';
export type Resolved = { id: string } | { problem: Unresolved };

/**
 * The full id of the commit each of `refs` names in the repository at `gitDir`, or why there is none, in one git
 * process (`cat-file --batch-check`: the refs go on its standard input, never on its command line). A ref must pass
 * `isSafeRef` (checked again here: one that does not is not sent, and is unknown).
 */
export async function resolveCommits(gitDir: string, refs: readonly string[]): Promise<Resolved[]> {
  const asked = refs.filter(isSafeRef);
  if (asked.length === 0) return refs.map(() => ({ problem: 'unknown' }));
  // two lines per ref: the commit it peels to, and the object itself (whether it exists, or is ambiguous)
  const input = asked.map((ref) => `${ref}^{commit}\n${ref}\n`).join('');
  const run = await runGit(gitDir, ['cat-file', '--batch-check=%(objectname) %(objecttype)'], {
    input,
    cap: 1024 * 1024,
  });
  if (run.code !== 0) throw new GitError('git cat-file failed', run.stderr);
  const lines = run.stdout.toString('utf8').split('\n');
  const answers = new Map<string, Resolved>();
  asked.forEach((ref, index) => {
    const [id, type] = (lines[2 * index] ?? '').split(' ');
    const object = (lines[2 * index + 1] ?? '').split(' ').at(-1);
    if (type === 'commit' && id && isObjectId(id)) answers.set(ref, { id });
    else if (object === 'ambiguous') answers.set(ref, { problem: 'ambiguous' });
    // an object that exists but is no commit (a tree, a blob) says so; anything else is unknown
    else answers.set(ref, { problem: object === 'missing' || object === undefined ? 'unknown' : 'not-a-commit' });
  });
  return refs.map((ref) => answers.get(ref) ?? { problem: 'unknown' });
}

/** The full id of the commit `ref` names in the repository at `gitDir`, or why there is none (`resolveCommits`). */
export async function resolveCommit(gitDir: string, ref: string): Promise<Resolved> {
  const [resolved] = await resolveCommits(gitDir, [ref]);
  return resolved ?? { problem: 'unknown' };
}

/** The best common ancestor of two commits (full ids), or null when their histories do not meet. */
export async function mergeBase(gitDir: string, a: string, b: string): Promise<string | null> {
  if (!isObjectId(a) || !isObjectId(b)) throw new GitError('mergeBase takes full object ids');
  const run = await runGit(gitDir, ['merge-base', '--end-of-options', a, b], { cap: 4096 });
  const id = run.stdout.toString('utf8').trim();
  if (run.code === 0 && isObjectId(id)) return id;
  if (run.code === 1) return null;
  throw new GitError('git merge-base failed', run.stderr);
}

/** One commit as `commitsBetween` reads it: the message decoded as UTF-8 (bad bytes replaced) and capped. */
export interface GitCommit {
  id: string;
  authorName: string;
  authorEmail: string;
  /** ISO 8601, as the author recorded it */
  authoredAt: string;
  message: string;
  /** the message was longer than MESSAGE_CAP and was cut */
  messageCapped: boolean;
}

/** Longest commit message kept, in bytes of UTF-8; a longer one is cut (its footers may be lost). */
export const MESSAGE_CAP = 16 * 1024;
const utf8 = new TextDecoder('utf-8', { fatal: false });

/** What one `git log` of a range said. */
export interface GitLog {
  /** the commit `to` names (git prints the range's tip first), or null when the range is empty */
  tip: string | null;
  /** newest first, merge commits left out, at most `max` */
  commits: GitCommit[];
  /** there were more than `max` commits, or more output than GIT_OUTPUT_CAP */
  truncated: boolean;
  /** `from` is a parent of a commit of the range, so an ancestor of `to` (never said for an empty range) */
  fromIsParent: boolean;
}

/** The fields `commitsBetween` asks git for: id, parents, author name, email and date, and the whole message. */
const LOG_FORMAT = '--format=%H%x00%P%x00%an%x00%ae%x00%aI%x00%B';
const MESSAGE_FIELD = 5;

/**
 * The commits reachable from `to` and not from `from` (null: all of `to`'s history), newest first, merge commits
 * left out, read by one `git log` as it prints them and stopped once `max` + 1 are read (`truncated`). `to` is a full
 * id or a ref that passes `isSafeRef`, `from` a full id. Null when git cannot read the range (a revision it does not
 * know): the caller resolves the revisions to say which.
 */
export async function commitsBetween(
  gitDir: string,
  from: string | null,
  to: string,
  max: number,
): Promise<GitLog | null> {
  if (!isSafeRef(to) || (from !== null && !isObjectId(from)))
    throw new GitError('commitsBetween takes a checked ref and a full object id');
  const log: GitLog = { tip: null, commits: [], truncated: false, fromIsParent: false };
  // -z ends each commit with NUL and the format puts NUL between its fields; a message is kept up to MESSAGE_CAP + 1
  // bytes (to know it was longer), and a field cut by the end of a chunk waits for the next
  let fields: Buffer[] = [];
  let field: Buffer[] = [];
  let fieldLength = 0;
  const keep = (part: Buffer) => {
    const room = fields.length === MESSAGE_FIELD ? MESSAGE_CAP + 1 - fieldLength : part.length;
    if (room > 0) field.push(room < part.length ? part.subarray(0, room) : part);
    fieldLength += part.length;
  };
  const endCommit = () => {
    const [id, parents, name, email, date, message] = fields as [Buffer, Buffer, Buffer, Buffer, Buffer, Buffer];
    const sha = id.toString('latin1').replace(/^\n/, '');
    log.tip ??= sha;
    const parentIds = parents.length ? parents.toString('latin1').split(' ') : [];
    if (from !== null && parentIds.includes(from)) log.fromIsParent = true;
    if (parentIds.length > 1) return; // a merge commit
    const capped = message.length > MESSAGE_CAP;
    log.commits.push({
      id: sha,
      authorName: utf8.decode(name),
      authorEmail: utf8.decode(email),
      authoredAt: date.toString('latin1'),
      message: utf8.decode(capped ? message.subarray(0, MESSAGE_CAP) : message),
      messageCapped: capped,
    });
  };
  const read = (chunk: Buffer): boolean => {
    let start = 0;
    for (let at = chunk.indexOf(0); at !== -1; at = chunk.indexOf(0, start)) {
      keep(chunk.subarray(start, at));
      fields.push(Buffer.concat(field));
      field = [];
      fieldLength = 0;
      start = at + 1;
      if (fields.length > MESSAGE_FIELD) {
        endCommit();
        fields = [];
        if (log.commits.length > max) return false;
      }
    }
    keep(chunk.subarray(start));
    return true;
  };
  const args = ['log', '--no-color', '--no-decorate', '--no-mailmap', '--no-show-signature', '--no-notes'];
  args.push('--encoding=UTF-8', '-z', LOG_FORMAT, '--end-of-options', to, ...(from === null ? [] : [`^${from}`]), '--');
  const run = await streamGit(gitDir, args, read);
  if (run.code !== 0 && !run.capped && !run.stopped) return null;
  log.truncated = run.capped || log.commits.length > max;
  log.commits = log.commits.slice(0, max);
  return log;
}
