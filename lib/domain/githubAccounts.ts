import type { Queryable } from '../infra/db';
import { sql } from '../infra/db';
import { NotFound } from '../infra/errors';
import { isoTime } from '../infra/time';
import type { GithubRepo } from './github';
import type { GithubDeploymentStatus } from './githubDeployments';
import type { User } from './identity';

/**
 * What GitHub's clients ask first, before any release: who the token is (`/user`), a person by login, a repository by
 * `owner/name` (PyGithub's `get_repo`), and one status of a deployment by its id.
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

export interface GithubRepository extends GithubRepo {
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

/** Status `statusId` of deployment `deploymentId` of `repoId` (GitHub's ids), or NotFound. */
export async function githubDeploymentStatus(
  db: Queryable,
  repoId: string,
  deploymentId: number,
  statusId: number,
): Promise<GithubDeploymentStatus> {
  const [row] = await db.query(sql`
    SELECT s.github_id, d.github_id AS deployment_github_id, s.state, s.description, e.name AS environment,
      s.log_url, s.environment_url, u.github_id AS creator_github_id, u.name AS creator_name, s.created_at
    FROM deployment_statuses s JOIN deployments d ON d.id = s.deployment_id
    JOIN environments e ON e.id = d.environment_id JOIN users u ON u.id = s.created_by
    WHERE d.repo_id = ${repoId} AND d.github_id = ${deploymentId} AND s.github_id = ${statusId}`);
  if (!row) throw new NotFound('Not Found');
  return {
    githubId: Number(row.github_id),
    deploymentGithubId: Number(row.deployment_github_id),
    state: row.state,
    description: row.description,
    environment: row.environment,
    logUrl: row.log_url,
    environmentUrl: row.environment_url,
    creator: { githubId: Number(row.creator_github_id), name: row.creator_name },
    createdAt: isoTime(row.created_at),
  };
}
