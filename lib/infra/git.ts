import { spawn } from 'node:child_process';
import { ServiceUnavailable } from './errors';

/**
 * Reading a bare git repository with the `git` binary: fixed arguments, every revision a full object id or a ref
 * checked by `isSafeRef` and put after `--end-of-options`, a timeout and a cap on what is read. Measured against
 * isomorphic-git on a 100,000-commit history (bench/notes.ts), `git log` was several times faster; it also reads
 * every pack and ref format git writes. Nothing here writes to a repository.
 */

/** How long one git command may run before it is killed. */
const GIT_TIMEOUT_MS = 10_000;
/** Most bytes read from one git command's output; past this the command is stopped and what was read is used. */
const GIT_OUTPUT_CAP = 32 * 1024 * 1024;

/** A git command failed, timed out or could not start. */
class GitError extends Error {
  constructor(
    message: string,
    readonly stderr = '',
  ) {
    super(message);
    this.name = 'GitError';
  }
}

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
function isObjectId(id: string): boolean {
  return /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(id);
}

/** What a git command printed (stdout up to `cap` bytes), its exit code, and whether it was stopped at the cap. */
interface GitRun {
  stdout: Buffer;
  stderr: string;
  code: number | null;
  capped: boolean;
}

/**
 * Runs `git --git-dir=<gitDir> <args>` without a shell, with no configuration but the repository's own (no system
 * or global file, no pager, no prompt, no replace objects), and `safe.directory` set to this directory only: the
 * caller has decided the directory may be read (lib/domain/gitRepos `gitDirOf`).
 */
function runGit(gitDir: string, args: readonly string[], cap = GIT_OUTPUT_CAP): Promise<GitRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'git',
      ['--no-pager', `--git-dir=${gitDir}`, '-c', `safe.directory=${gitDir}`, '-c', 'core.quotePath=false', ...args],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: GIT_TIMEOUT_MS,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: '/nonexistent',
          GIT_CONFIG_NOSYSTEM: '1',
          GIT_CONFIG_GLOBAL: '/dev/null',
          GIT_TERMINAL_PROMPT: '0',
          GIT_NO_REPLACE_OBJECTS: '1',
          GIT_OPTIONAL_LOCKS: '0',
          LC_ALL: 'C',
        },
      },
    );
    const chunks: Buffer[] = [];
    let size = 0;
    let capped = false;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      if (capped) return;
      const room = cap - size;
      if (chunk.length > room) {
        chunks.push(chunk.subarray(0, room));
        size = cap;
        capped = true;
        child.kill('SIGKILL');
        return;
      }
      chunks.push(chunk);
      size += chunk.length;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString('utf8');
    });
    child.on('error', (err) => reject(new GitError(`git could not run: ${err.message}`)));
    child.on('close', (code, signal) => {
      if (signal === 'SIGTERM' && !capped) {
        // the timeout: a busy disk or a huge history, neither the client's fault nor a bug
        reject(new ServiceUnavailable(`Reading the repo's git history took longer than ${GIT_TIMEOUT_MS / 1000} s.`));
        return;
      }
      if (signal && !capped) {
        reject(new GitError(`git ended by ${signal}`));
        return;
      }
      resolve({ stdout: Buffer.concat(chunks, size), stderr, code, capped });
    });
  });
}

/** Why a revision could not be resolved to one commit. */
export type Unresolved = 'unknown' | 'ambiguous' | 'not-a-commit';

/**
 * The full id of the commit `ref` names in the repository at `gitDir`, or why there is none. `ref` must pass
 * `isSafeRef` (checked again here: nothing runs for one that does not).
 */
export async function resolveCommit(gitDir: string, ref: string): Promise<{ id: string } | { problem: Unresolved }> {
  if (!isSafeRef(ref)) return { problem: 'unknown' };
  const run = await runGit(gitDir, ['rev-parse', '--verify', '--end-of-options', `${ref}^{commit}`], 4096);
  const id = run.stdout.toString('utf8').trim();
  if (run.code === 0 && isObjectId(id)) return { id };
  if (/ambiguous/i.test(run.stderr)) return { problem: 'ambiguous' };
  // an object that exists but is no commit (a tree, a blob) says so; anything else is unknown
  const exists = await runGit(gitDir, ['cat-file', '-e', '--end-of-options', ref], 0);
  return { problem: exists.code === 0 ? 'not-a-commit' : 'unknown' };
}

/** Whether commit `ancestor` is an ancestor of (or the same as) commit `descendant`; both full ids. */
export async function isAncestor(gitDir: string, ancestor: string, descendant: string): Promise<boolean> {
  if (!isObjectId(ancestor) || !isObjectId(descendant)) throw new GitError('isAncestor takes full object ids');
  const run = await runGit(gitDir, ['merge-base', '--is-ancestor', '--end-of-options', ancestor, descendant], 0);
  if (run.code === 0) return true;
  if (run.code === 1) return false;
  throw new GitError('git merge-base failed', run.stderr);
}

/** The best common ancestor of two commits (full ids), or null when their histories do not meet. */
export async function mergeBase(gitDir: string, a: string, b: string): Promise<string | null> {
  if (!isObjectId(a) || !isObjectId(b)) throw new GitError('mergeBase takes full object ids');
  const run = await runGit(gitDir, ['merge-base', '--end-of-options', a, b], 4096);
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
const FIELDS = 5;
const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * The commits reachable from `to` and not from `from` (null: all of `to`'s history), newest first, merge commits
 * left out; at most `max`, with `truncated` when there were more (or the output reached GIT_OUTPUT_CAP).
 */
export async function commitsBetween(
  gitDir: string,
  from: string | null,
  to: string,
  max: number,
): Promise<{ commits: GitCommit[]; truncated: boolean }> {
  if (!isObjectId(to) || (from !== null && !isObjectId(from)))
    throw new GitError('commitsBetween takes full object ids');
  const args = [
    'log',
    '--no-merges',
    '--no-color',
    '--encoding=UTF-8',
    '-z',
    `--max-count=${max + 1}`,
    '--format=%H%x00%an%x00%ae%x00%aI%x00%B',
    '--end-of-options',
    to,
    ...(from === null ? [] : [`^${from}`]),
    '--',
  ];
  const run = await runGit(gitDir, args);
  if (run.code !== 0 && !run.capped) throw new GitError('git log failed', run.stderr);
  // -z ends each commit with NUL, and the format puts NUL between fields: FIELDS tokens per commit
  const tokens = splitNul(run.stdout);
  const commits: GitCommit[] = [];
  const whole = run.capped ? tokens.length - 1 : tokens.length; // a capped output's last token may be cut
  for (let at = 0; at + FIELDS <= whole && commits.length <= max; at += FIELDS) {
    const [id, name, email, date, message] = tokens.slice(at, at + FIELDS) as [Buffer, Buffer, Buffer, Buffer, Buffer];
    const capped = message.length > MESSAGE_CAP;
    commits.push({
      id: id.toString('latin1').replace(/^\n/, ''),
      authorName: utf8.decode(name),
      authorEmail: utf8.decode(email),
      authoredAt: date.toString('latin1'),
      message: utf8.decode(capped ? message.subarray(0, MESSAGE_CAP) : message),
      messageCapped: capped,
    });
  }
  const truncated = run.capped || commits.length > max;
  return { commits: commits.slice(0, max), truncated };
}

function splitNul(buffer: Buffer): Buffer[] {
  const tokens: Buffer[] = [];
  let start = 0;
  for (let at = buffer.indexOf(0); at !== -1; at = buffer.indexOf(0, start)) {
    tokens.push(buffer.subarray(start, at));
    start = at + 1;
  }
  if (start < buffer.length) tokens.push(buffer.subarray(start));
  return tokens;
}
