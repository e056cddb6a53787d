import { type Queryable, sql } from '../infra/db';
import { NotFound } from '../infra/errors';

/**
 * GitHub's integer ids (migration 0013) beside our UUIDs: the only thing the GitHub-compatible surface reads that the
 * native domain does not. Everything else it shows comes from the native functions.
 */
export type GithubTable = 'releases' | 'artifacts' | 'deployments' | 'environments' | 'users';

/** The GitHub id of each row named, in one query; `of(table, id)` reads one (0 for a row that is not there). */
export async function githubIds(
  db: Queryable,
  rows: Partial<Record<GithubTable, string[]>>,
): Promise<(table: GithubTable, id: string) => number> {
  const parts = Object.entries(rows)
    .filter(([, ids]) => ids.length)
    .map(
      ([table, ids]) =>
        sql`SELECT ${table}::text AS kind, id, github_id FROM ${sql.ident(table)} WHERE id = ANY(${ids}::uuid[])`,
    );
  const found = parts.length ? await db.query(sql.join(parts, sql` UNION ALL `)) : [];
  const ids = new Map(found.map((row) => [`${row.kind}:${row.id}`, Number(row.github_id)]));
  return (table, id) => ids.get(`${table}:${id}`) ?? 0;
}

/**
 * The UUID of the release, deployment or artifact of `repoId` with GitHub id `githubId`, or NotFound. An artifact
 * counts only as an asset of one of the repo's releases; its release's id comes with it.
 */
export async function idOfGithubId(
  db: Queryable,
  table: 'releases' | 'deployments' | 'artifacts',
  repoId: string,
  githubId: number,
): Promise<{ id: string; releaseId: string }> {
  const [row] =
    table === 'artifacts'
      ? await db.query(sql`
          SELECT a.id, ra.release_id FROM artifacts a JOIN release_artifacts ra ON ra.artifact_id = a.id
          WHERE a.repo_id = ${repoId} AND a.github_id = ${githubId} LIMIT 1`)
      : await db.query(sql`
          SELECT id, ${table === 'releases' ? sql`id` : sql`release_id`} AS release_id FROM ${sql.ident(table)}
          WHERE repo_id = ${repoId} AND github_id = ${githubId}`);
  if (!row) throw new NotFound(`No ${table} ${githubId} in this repo`);
  return { id: row.id, releaseId: row.release_id };
}
