import type { MemberRepo } from '../../schemas/repos';
import { decodeCursor, encodeCursor, invalidCursor, keysetPage } from '../infra/cursor';
import { type Queryable, sql } from '../infra/db';
import { NotFound } from '../infra/errors';
import { isUuid } from '../infra/ids';
import { isoTime } from '../infra/time';
import type { NamedRepoAccess, RepoAccess } from './access';
import { REPO_NAME, SLUG_PATTERN } from './orgs';

/**
 * The repo `repoId` if `userId` is a member of its org. A repo in an org the user is not in is reported exactly like
 * a repo that does not exist, so nothing leaks across orgs. (A request that names its repo in the path gets this from
 * its token's lookup instead: lib/http hands it to the handler.)
 */
export async function repoForMember(db: Queryable, repoId: string, userId: string): Promise<RepoAccess> {
  const [row] = await db.query(sql`
    SELECT r.id, r.org_id AS "orgId", m.role
    FROM repos r JOIN memberships m ON m.org_id = r.org_id AND m.user_id = ${userId}
    WHERE r.id = ${repoId}
  `);
  if (!row) throw new NotFound(`Repo ${repoId} was not found`);
  return row as RepoAccess;
}

/** Repos are listed by org slug, then name; a cursor holds both of the last row of its page. */
function afterRepo(cursor: string | undefined) {
  if (!cursor) return sql``;
  const [slug, name] = decodeCursor('repos', cursor, 2) as [string, string];
  if (!SLUG_PATTERN.test(slug) || !REPO_NAME.test(name)) throw invalidCursor();
  return sql`AND (o.slug, r.name) > (${slug}, ${name})`;
}

/**
 * One page of the repos in every org `userId` is a member of, by org slug then repo name, each with the user's
 * role in its org. Nothing of an org the user is not in is listed.
 */
export async function listMemberRepos(
  db: Queryable,
  userId: string,
  query: { limit: number; cursor?: string },
): Promise<{ items: MemberRepo[]; nextCursor: string | null }> {
  const rows = await db.query(sql`
    SELECT r.id, r.name, o.id AS org_id, o.slug, m.role
    FROM memberships m
    JOIN orgs o ON o.id = m.org_id
    JOIN repos r ON r.org_id = o.id
    WHERE m.user_id = ${userId} ${afterRepo(query.cursor)}
    ORDER BY o.slug, r.name
    LIMIT ${query.limit + 1}
  `);
  return keysetPage(
    rows,
    query.limit,
    (row) => ({ id: row.id, name: row.name, org: { id: row.org_id, slug: row.slug }, role: row.role }),
    (last) => encodeCursor('repos', [last.slug, last.name]),
  );
}

/**
 * The repo named `name` in the org `owner` (its id or slug), if `userId` is a member of that org; else 404, the same
 * whether the org or repo is missing or the user is not in it. With the names GitHub's `{owner}/{repo}` are, and the
 * time GitHub's repository object shows.
 */
export async function namedRepoAccess(
  db: Queryable,
  owner: string,
  name: string,
  userId: string,
): Promise<NamedRepoAccess> {
  const [row] = await db.query(sql`
    SELECT r.id, r.org_id, m.role, o.slug, r.name, r.created_at
    FROM orgs o
    JOIN memberships m ON m.org_id = o.id AND m.user_id = ${userId}
    JOIN repos r ON r.org_id = o.id AND r.name = ${name}
    WHERE ${isUuid(owner) ? sql`o.id = ${owner}` : sql`o.slug = ${owner}`}
  `);
  if (!row) throw new NotFound(`Repo ${owner}/${name} was not found`);
  const createdAt = isoTime(row.created_at);
  return { id: row.id, orgId: row.org_id, role: row.role, owner: row.slug, name: row.name, createdAt };
}

/** `namedRepoAccess` as the native API shows a repo: with its org and the caller's role there. */
export async function repoByName(db: Queryable, orgRef: string, name: string, userId: string): Promise<MemberRepo> {
  const repo = await namedRepoAccess(db, orgRef, name, userId);
  return { id: repo.id, name: repo.name, org: { id: repo.orgId, slug: repo.owner }, role: repo.role };
}
