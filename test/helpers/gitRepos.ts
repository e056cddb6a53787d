import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { ConnectionPool } from '@databases/pg';
import { inject } from 'vitest';
import { createRepo } from '../../lib/domain/orgs';
import { type CommitSpec, makeHistory } from '../../scripts/lib/gitHistory';

/** Where the run's GIT_REPOS_DIR keeps repo `name` of org `orgSlug`. */
export function gitDirFor(orgSlug: string, name: string): string {
  return path.join(inject('gitReposDir'), orgSlug, `${name}.git`);
}

/**
 * A new repo of org `orgSlug` with a bare git repository of `commits` where GIT_REPOS_DIR says it is, `main` at the
 * last commit unless `refs` say otherwise. Returns the repo and each commit's full id.
 */
export async function repoWithHistory(
  pool: ConnectionPool,
  orgSlug: string,
  commits: CommitSpec[],
  refs: Record<string, number> = { 'refs/heads/main': commits.length - 1 },
): Promise<{ repo: { id: string; name: string }; ids: string[] }> {
  const repo = await createRepo(pool, orgSlug, `history-${randomBytes(4).toString('hex')}`);
  const ids = makeHistory(gitDirFor(orgSlug, repo.name), commits, refs);
  return { repo, ids };
}
