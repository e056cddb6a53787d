import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** One commit of a made history: its message (bytes are written as they are), author, and parents. */
export interface CommitSpec {
  message: string | Buffer;
  author?: string;
  /** indices of earlier commits; default: the commit before (none for the first); [] makes a root commit */
  parents?: number[];
}

/**
 * Makes a bare git repository at `gitDir` holding `commits` (empty trees, one minute apart) with `git fast-import`,
 * one process for the whole history, and points each of `refs` (e.g. `refs/heads/main`) at the commit of that
 * index. Returns each commit's full id, in the order given. For tests and benchmarks: nothing is downloaded.
 */
export function makeHistory(gitDir: string, commits: CommitSpec[], refs: Record<string, number> = {}): string[] {
  fs.mkdirSync(gitDir, { recursive: true });
  execFileSync('git', ['init', '--bare', '--quiet', gitDir]);
  const parts: Buffer[] = [];
  const text = (value: string) => parts.push(Buffer.from(value, 'utf8'));
  commits.forEach((commit, index) => {
    const parents = commit.parents ?? (index === 0 ? [] : [index - 1]);
    if (parents.length === 0) text('reset refs/heads/import\n');
    const author = commit.author ?? 'Ada Lovelace';
    const who = `${author} <${author.toLowerCase().replace(/[^a-z0-9]+/g, '.')}@example.test> ${1_700_000_000 + index * 60} +0000`;
    const message = Buffer.isBuffer(commit.message) ? commit.message : Buffer.from(commit.message, 'utf8');
    text(`commit refs/heads/import\nmark :${index + 1}\nauthor ${who}\ncommitter ${who}\ndata ${message.length}\n`);
    parts.push(message);
    text('\n');
    for (const [at, parent] of parents.entries()) text(`${at === 0 ? 'from' : 'merge'} :${parent + 1}\n`);
    text('\n');
  });
  for (const [ref, index] of Object.entries(refs)) text(`reset ${ref}\nfrom :${index + 1}\n\n`);
  const marks = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gitweave-marks-')), 'marks');
  execFileSync('git', ['--git-dir', gitDir, 'fast-import', '--quiet', `--export-marks=${marks}`], {
    input: Buffer.concat(parts),
    maxBuffer: 64 * 1024 * 1024,
  });
  const ids: string[] = [];
  for (const line of fs.readFileSync(marks, 'utf8').split('\n')) {
    const [mark, id] = line.split(' ');
    if (mark && id) ids[Number(mark.slice(1)) - 1] = id;
  }
  fs.rmSync(path.dirname(marks), { recursive: true, force: true });
  execFileSync('git', ['--git-dir', gitDir, 'update-ref', '-d', 'refs/heads/import']);
  return ids;
}
