import type { Queryable } from '../infra/db';
import { sql } from '../infra/db';
import { NotFound } from '../infra/errors';
import { isoTime } from '../infra/time';
import type { RepoAccess } from './access';
import type { User } from './identity';

/**
 * What GitHub's clients ask first, before any release: who the token is (`/user`), a person by login, a repository by
 * `owner/name` (PyGithub's `get_repo`).
 */

export interface GithubAccount {
  githubId: number;
  name: string;
  createdAt: string;
}

/** The caller, as GitHub's `/user` shows the token's owner. */
export async function githubAccountOf(db: Queryable, user: Pick<User, 'id'>): Promise<GithubAccount> {
  const [row] = await db.query(sql`SELECT github_id, name, created_at FROM users WHERE id = ${user.id}`);
  if (!row) throw new NotFound('Not Found');
  return { githubId: Number(row.github_id), name: row.name, createdAt: isoTime(row.created_at) };
}

/**
 * The person named `login` among those the caller shares an org with (the caller included); anyone else does not
 * exist for the caller. Names are not unique here as GitHub's logins are: the first one made is the login's.
 */
export async function githubAccountByLogin(
  db: Queryable,
  login: string,
  caller: Pick<User, 'id'>,
): Promise<GithubAccount> {
  const [row] = await db.query(sql`
    SELECT u.github_id, u.name, u.created_at
    FROM users u
    WHERE u.name = ${login}
      AND (u.id = ${caller.id} OR EXISTS (
        SELECT 1 FROM memberships theirs JOIN memberships mine ON mine.org_id = theirs.org_id
        WHERE theirs.user_id = u.id AND mine.user_id = ${caller.id}))
    ORDER BY u.github_id
    LIMIT 1`);
  if (!row) throw new NotFound('Not Found');
  return { githubId: Number(row.github_id), name: row.name, createdAt: isoTime(row.created_at) };
}

export interface GithubRepository extends RepoAccess {
  /** the org's slug: GitHub's owner */
  owner: string;
  name: string;
  /** GitHub's integer id: the first 48 bits of the repo's uuid (repos have no sequence of their own) */
  githubId: number;
  ownerName: string;
  createdAt: string;
}

/** The repo `owner/name` with what GitHub's repository object shows, for a member of its org (else 404). */
export async function githubRepository(
  db: Queryable,
  owner: string,
  name: string,
  user: Pick<User, 'id'>,
): Promise<GithubRepository> {
  const [row] = await db.query(sql`
    SELECT r.id, r.org_id AS "orgId", m.role, o.slug AS owner, o.name AS "ownerName", r.name, r.created_at
    FROM orgs o JOIN repos r ON r.org_id = o.id
    JOIN memberships m ON m.org_id = o.id AND m.user_id = ${user.id}
    WHERE o.slug = ${owner} AND r.name = ${name}`);
  if (!row) throw new NotFound('Not Found');
  return {
    id: row.id,
    orgId: row.orgId,
    role: row.role,
    owner: row.owner,
    ownerName: row.ownerName,
    name: row.name,
    githubId: Number.parseInt(String(row.id).replace(/-/g, '').slice(0, 12), 16),
    createdAt: isoTime(row.created_at),
  };
}
