import fs from 'node:fs/promises';
import path from 'node:path';
import { config } from '../infra/config';
import { type Queryable, sql } from '../infra/db';
import { Conflict, NotFound, Unprocessable } from '../infra/errors';
import { isSafeRef, type Resolved, resolveCommit } from '../infra/git';

/** A repo's git repository: where it is, or why it cannot be read. */
export type GitDirLookup = { found: true; dir: string } | { found: false; configured: boolean; why: string };

/** Whether `inner` is `outer` or inside it (both real, absolute paths). */
function isWithin(inner: string, outer: string): boolean {
  return inner === outer || inner.startsWith(outer.endsWith(path.sep) ? outer : outer + path.sep);
}

/**
 * Where repo `repoId`'s bare git repository is: the directory an admin set for it, else
 * `<GIT_REPOS_DIR>/<org slug>/<repo name>.git`. A directory reached through a symlink, or owned by another user, is
 * read only when its real path is under GIT_REPOS_DIR (the operator put it there); anything else that is not a
 * git directory counts as none. `configured` says whether an admin named the directory.
 */
export async function findGitDir(db: Queryable, repoId: string): Promise<GitDirLookup> {
  const [row] = await db.query(sql`
    SELECT o.slug, r.name, r.git_dir FROM repos r JOIN orgs o ON o.id = r.org_id WHERE r.id = ${repoId}`);
  if (!row) throw new NotFound(`Repo ${repoId} was not found`);
  const configured = row.git_dir !== null;
  const root = config().gitReposDir;
  const named = configured ? String(row.git_dir) : path.join(root, row.slug, `${row.name}.git`);
  const where = configured
    ? 'the git directory set for this repo (admin: repo git-dir)'
    : `${row.slug}/${row.name}.git under GIT_REPOS_DIR`;
  let real: string;
  let owner: number;
  try {
    real = await fs.realpath(named);
    const stat = await fs.stat(real);
    if (!stat.isDirectory()) return { found: false, configured, why: `${where} is not a directory` };
    owner = stat.uid;
    await fs.access(path.join(real, 'HEAD'));
    await fs.access(path.join(real, 'objects'));
  } catch {
    return { found: false, configured, why: `there is no git repository at ${where}` };
  }
  const rootReal = await fs.realpath(root).catch(() => null);
  const redirected = real !== path.resolve(named);
  const foreign = typeof process.getuid === 'function' && owner !== process.getuid();
  if ((redirected || foreign) && !(rootReal && isWithin(real, rootReal))) {
    return {
      found: false,
      configured,
      why: `${where} is ${redirected ? 'a symlink' : 'owned by another user'} to a place outside GIT_REPOS_DIR, so it is not read`,
    };
  }
  return { found: true, dir: real };
}

/** Repo `repoId`'s git directory, or a 409 that says why there is none and which setting names it. */
export async function gitDirOf(db: Queryable, repoId: string): Promise<string> {
  const lookup = await findGitDir(db, repoId);
  if (lookup.found) return lookup.dir;
  throw new Conflict(
    `This repo's history cannot be read: ${lookup.why}. Set GIT_REPOS_DIR, or the repo's own git directory with the admin command (repo git-dir).`,
  );
}

/** A 422 naming `ref` when it is not a commit id or a ref name (one that could read as an option, a range…). */
export function checkRefShape(ref: string, pointer: string): void {
  if (!isSafeRef(ref)) {
    throw new Unprocessable(`"${ref}" is not a commit id or a ref name.`, [
      { path: pointer, message: 'must be a commit id or a ref name (letters, digits, . _ / + -; not starting with -)' },
    ]);
  }
}

/**
 * The full id of the commit `ref` names in the repository at `gitDir`, or a 422 naming `ref` and the field it came
 * from (`pointer`, a JSON pointer into the request): unknown, ambiguous, not a commit, or not a ref at all (then no
 * git command runs).
 */
export async function commitIn(gitDir: string, ref: string, pointer: string): Promise<string> {
  checkRefShape(ref, pointer);
  return resolvedCommit(ref, await resolveCommit(gitDir, ref), pointer);
}

/** The id `ref` resolved to, or the 422 of `commitIn` saying why it names no commit. */
export function resolvedCommit(ref: string, resolved: Resolved, pointer: string): string {
  checkRefShape(ref, pointer);
  if ('id' in resolved) return resolved.id;
  const why = {
    unknown: 'is not a commit of this repo',
    ambiguous: 'is ambiguous in this repo: give more of the commit id',
    'not-a-commit': 'names an object of this repo that is not a commit',
  }[resolved.problem];
  throw new Unprocessable(`Commit ${ref} ${why}.`, [{ path: pointer, message: why }]);
}

/** Sets (or with null, clears) the git directory of repo `orgSlug`/`name`; the path is made absolute. */
export async function setGitDir(
  db: Queryable,
  orgSlug: string,
  name: string,
  dir: string | null,
): Promise<{ repo: string; gitDir: string | null }> {
  const absolute = dir === null ? null : path.resolve(dir);
  const rows = await db.query(sql`
    UPDATE repos r SET git_dir = ${absolute} FROM orgs o
    WHERE o.id = r.org_id AND o.slug = ${orgSlug} AND r.name = ${name}
    RETURNING r.id`);
  if (!rows.length) throw new NotFound(`Repo ${orgSlug}/${name} was not found`);
  return { repo: rows[0].id, gitDir: absolute };
}
