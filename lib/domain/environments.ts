import type { Role } from '../../schemas/common';
import { type Environment, environmentName, type RepoEnvironment } from '../../schemas/environments';
import { decodeCursor, encodeCursor, invalidCursor, keysetPage } from '../infra/cursor';
import { isUniqueViolation, type Queryable, type Row, sql } from '../infra/db';
import { Conflict, Forbidden, NotFound } from '../infra/errors';
import { isUuid } from '../infra/ids';
import { isoTime } from '../infra/time';
import type { RepoAccess } from './access';
import type { OrgAccess } from './orgs';

/** The pattern of an environment's name, from its schema: a lowercase slug of at most 32 characters. */
const ENVIRONMENT_NAME = new RegExp(environmentName.pattern);

/** The rule for environments: creating one (and so deciding what is protected) needs the release_manager role. */
export function checkMayManageEnvironments(role: Role): void {
  if (role !== 'release_manager') {
    throw new Forbidden(`Creating environments needs the release_manager role; you are a ${role} in this org.`);
  }
}

function toEnvironment(row: Row): Environment {
  return {
    id: row.id,
    orgId: row.org_id,
    name: row.name,
    protected: row.protected,
    createdAt: isoTime(row.created_at),
  };
}

const columns = sql`e.id, e.org_id, e.name, e.protected, e.created_at`;

/** Environments are listed by name; a cursor holds the last name of its page. */
function afterName(cursor: string | undefined) {
  if (!cursor) return sql``;
  const [name] = decodeCursor('environments', cursor, 1) as [string];
  if (!ENVIRONMENT_NAME.test(name)) throw invalidCursor();
  return sql`AND e.name > ${name}`;
}

function page<T>(rows: Row[], limit: number, toItem: (row: Row) => T) {
  return keysetPage(rows, limit, toItem, (last) => encodeCursor('environments', [last.name]));
}

/** One page of an org's environments, by name. */
export async function listEnvironments(
  db: Queryable,
  orgId: string,
  query: { limit: number; cursor?: string },
): Promise<{ items: Environment[]; nextCursor: string | null }> {
  const rows = await db.query(sql`
    SELECT ${columns} FROM environments e
    WHERE e.org_id = ${orgId} ${afterName(query.cursor)}
    ORDER BY e.name
    LIMIT ${query.limit + 1}
  `);
  return page(rows, query.limit, toEnvironment);
}

/** An environment of `orgId`, named by its id or its name, or NotFound. */
export async function getEnvironment(db: Queryable, orgId: string, ref: string): Promise<Environment> {
  const [row] = await db.query(sql`
    SELECT ${columns} FROM environments e
    WHERE e.org_id = ${orgId} AND ${isUuid(ref) ? sql`e.id = ${ref}` : sql`e.name = ${ref}`}
  `);
  if (!row) throw new NotFound(`Environment ${ref} was not found in this org`);
  return toEnvironment(row);
}

/**
 * Creates an environment of `org` for one of its release managers. A name the org already has is a 409, decided
 * by the unique constraint (two concurrent creates: one wins).
 */
export async function createEnvironment(
  db: Queryable,
  org: OrgAccess,
  input: { name: string; protected?: boolean },
): Promise<Environment> {
  checkMayManageEnvironments(org.role);
  try {
    const [row] = await db.query(sql`
      INSERT INTO environments AS e (org_id, name, protected)
      VALUES (${org.id}, ${input.name}, ${input.protected ?? false})
      RETURNING ${columns}
    `);
    return toEnvironment(row);
  } catch (err) {
    if (isUniqueViolation(err, 'environments_org_name')) {
      throw new Conflict(`Org ${org.slug} already has an environment named ${input.name}.`);
    }
    throw err;
  }
}

/**
 * What runs where: one page of the environments of the repo's org, by name, each with the repo's current
 * deployment there (its newest successful one, by when it finished) or null. One query: the current deployment
 * is a LATERAL lookup per environment on the index of successful deployments by repo and environment.
 */
export async function listRepoEnvironments(
  db: Queryable,
  repo: RepoAccess,
  query: { limit: number; cursor?: string },
): Promise<{ items: RepoEnvironment[]; nextCursor: string | null }> {
  const rows = await db.query(sql`
    SELECT ${columns}, cur.id AS deployment_id, cur.release_id, cur.version, cur.deployed_at, cur.deployed_by
    FROM environments e
    LEFT JOIN LATERAL (
      SELECT d.id, d.release_id, r.version, COALESCE(d.ended_at, d.started_at) AS deployed_at, d.deployed_by
      FROM deployments d JOIN releases r ON r.id = d.release_id
      WHERE d.repo_id = ${repo.id} AND d.environment_id = e.id AND d.status = 'success'
      ORDER BY d.ended_at DESC NULLS LAST, d.id DESC
      LIMIT 1
    ) cur ON true
    WHERE e.org_id = ${repo.orgId} ${afterName(query.cursor)}
    ORDER BY e.name
    LIMIT ${query.limit + 1}
  `);
  return page(rows, query.limit, (row) => ({
    ...toEnvironment(row),
    current: row.deployment_id
      ? {
          deploymentId: row.deployment_id,
          releaseId: row.release_id,
          version: row.version,
          deployedAt: isoTime(row.deployed_at),
          deployedBy: row.deployed_by,
        }
      : null,
  }));
}
