import { spawn } from 'node:child_process';
import { ServiceUnavailable } from './errors';

/** How long one git command may run before it is killed. */
const GIT_TIMEOUT_MS = 10_000;
/** Most bytes read from one git command's output; past this the command is stopped and what was read is used. */
const GIT_OUTPUT_CAP = 32 * 1024 * 1024;

/** A git command failed, timed out or could not start. */
export class GitError extends Error {
  constructor(
    message: string,
    readonly stderr = '',
  ) {
    super(message);
    this.name = 'GitError';
  }
}

/** How a git command ended: its exit code (null when it was stopped), and why it was stopped. */
export interface GitRun {
  stderr: string;
  code: number | null;
  /** its output reached the cap: what was read before it stands */
  capped: boolean;
  /** the reader had read enough and stopped it */
  stopped: boolean;
}

/**
 * Runs `git --git-dir=<gitDir> <args>` without a shell, with no configuration but the repository's own (no system
 * or global file, no pager, no prompt, no replace objects), and `safe.directory` set to this directory only: the
 * caller has decided the directory may be read (lib/domain/gitRepos `gitDirOf`). Each piece of its output goes to
 * `read` as it comes, at most `cap` bytes in all; `read` returns false once it has what it needs, and git is stopped
 * there. `input`, when given, is written to its standard input.
 */
export function streamGit(
  gitDir: string,
  args: readonly string[],
  read: (chunk: Buffer) => boolean,
  options: { cap?: number; input?: string } = {},
): Promise<GitRun> {
  const cap = options.cap ?? GIT_OUTPUT_CAP;
  return new Promise((resolve, reject) => {
    const child = spawn(
      'git',
      ['--no-pager', `--git-dir=${gitDir}`, '-c', `safe.directory=${gitDir}`, '-c', 'core.quotePath=false', ...args],
      {
        stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
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
    let size = 0;
    let capped = false;
    let stopped = false;
    let stderr = '';
    let failure: unknown = null;
    const stop = () => {
      stopped = true;
      child.kill('SIGKILL');
    };
    // a reader that throws stops git, and the run fails with its error rather than the process
    const take = (chunk: Buffer): boolean => {
      try {
        return read(chunk);
      } catch (err) {
        failure = err;
        return false;
      }
    };
    if (child.stdin) {
      // git may end before it has read all of its input (a bad revision): that is for its exit code to say
      child.stdin.on('error', () => {});
      child.stdin.end(options.input);
    }
    child.stdout?.on('data', (chunk: Buffer) => {
      if (capped || stopped) return;
      const room = cap - size;
      if (chunk.length > room) {
        capped = true;
        size = cap;
        if (room > 0) take(chunk.subarray(0, room));
        stop();
        return;
      }
      size += chunk.length;
      if (!take(chunk)) stop();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString('utf8');
    });
    child.on('error', (err) => reject(new GitError(`git could not run: ${err.message}`)));
    child.on('close', (code, signal) => {
      if (failure !== null) {
        reject(failure);
        return;
      }
      if (signal === 'SIGTERM' && !stopped) {
        // the timeout: a busy disk or a huge history, neither the client's fault nor a bug
        reject(new ServiceUnavailable(`Reading the repo's git history took longer than ${GIT_TIMEOUT_MS / 1000} s.`));
        return;
      }
      if (signal && !stopped) {
        reject(new GitError(`git ended by ${signal}`));
        return;
      }
      resolve({ stderr, code, capped, stopped: stopped && !capped });
    });
  });
}

/** `streamGit`, its output kept whole (up to `cap` bytes). */
export async function runGit(
  gitDir: string,
  args: readonly string[],
  options: { cap?: number; input?: string } = {},
): Promise<GitRun & { stdout: Buffer }> {
  const chunks: Buffer[] = [];
  const run = await streamGit(
    gitDir,
    args,
    (chunk) => {
      chunks.push(chunk);
      return true;
    },
    options,
  );
  return { ...run, stdout: Buffer.concat(chunks) };
}
