import type { Queryable } from '../infra/db';
import { sql } from '../infra/db';
import { NotFound } from '../infra/errors';
import { isoTime } from '../infra/time';
import type { User } from './identity';

/**
 * What GitHub's clients ask first, before any release: who the token is (`/user`), a person by login. (A repository by
 * `owner/name`, PyGithub's `get_repo`, is the repo lib/http resolves for every `{owner}/{repo}` route.)
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
