import { sql, type Queryable } from './db';
import { NotFound } from './errors';
import type { Role } from './identity';

/** A repo as seen by one member of its org. */
export interface RepoAccess {
  id: string;
  orgId: string;
  role: Role;
}

/**
 * The repo `repoId` if `userId` is a member of its org. A repo in an org the user is not in is reported exactly
 * like a repo that does not exist, so nothing leaks across orgs.
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
