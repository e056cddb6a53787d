import type { SQLQuery } from '@databases/pg';
import type { Role } from '../../schemas/common';
import { type Environment, environmentName, type RepoEnvironment } from '../../schemas/environments';
import { decodeCursor, encodeCursor, invalidCursor, keysetPage } from '../infra/cursor';
import { isUniqueViolation, type Queryable, type Row, sql } from '../infra/db';
import { Conflict, type FieldError, Forbidden, NotFound, Unprocessable } from '../infra/errors';
import { isUuid } from '../infra/ids';
import { isoTime } from '../infra/time';
import type { RepoAccess } from './access';
import { recordEvent } from './events';
import type { OrgAccess } from './orgs';

/** The pattern of an environment's name, from its schema: a lowercase slug of at most 32 characters. */
const ENVIRONMENT_NAME = new RegExp(environmentName.pattern);

/**
 * The rule for environments: creating one, or changing its place and rules (and so deciding what is protected and
 * what a deployment there needs), needs the release_manager role.
 */
export function checkMayManageEnvironments(role: Role, action = 'Creating environments'): void {
  if (role !== 'release_manager') {
    throw new Forbidden(`${action} needs the release_manager role; you are a ${role} in this org.`);
  }
}

function toEnvironment(row: Row): Environment {
  return {
    id: row.id,
    orgId: row.org_id,
    name: row.name,
    protected: row.protected,
    position: row.position,
    requires: row.requires,
    requiredApprovals: row.required_approvals,
    createdAt: isoTime(row.created_at),
  };
}

const columns = sql`
  e.id, e.org_id, e.name, e.protected, e.position, e.required_approvals, e.created_at,
  ARRAY(SELECT re.name FROM environment_requirements q JOIN environments re ON re.id = q.required_environment_id
        WHERE q.environment_id = e.id ORDER BY re.position, re.name) AS requires`;

/** Environments are listed in pipeline order (position, then name); a cursor holds both of the last of a page. */
function afterPosition(cursor: string | undefined) {
  if (!cursor) return sql``;
  const [position, name] = decodeCursor('environments', cursor, 2) as [string, string];
  if (!/^\d{1,4}$/.test(position) || !ENVIRONMENT_NAME.test(name)) throw invalidCursor();
  return sql`AND (e.position, e.name) > (${Number(position)}, ${name})`;
}

function page<T>(rows: Row[], limit: number, toItem: (row: Row) => T) {
  return keysetPage(rows, limit, toItem, (last) => encodeCursor('environments', [String(last.position), last.name]));
}

/** One page of an org's environments, in pipeline order. */
export async function listEnvironments(
  db: Queryable,
  orgId: string,
  query: { limit: number; cursor?: string },
): Promise<{ items: Environment[]; nextCursor: string | null }> {
  const rows = await db.query(sql`
    SELECT ${columns} FROM environments e
    WHERE e.org_id = ${orgId} ${afterPosition(query.cursor)}
    ORDER BY e.position, e.name
    LIMIT ${query.limit + 1}
  `);
  return page(rows, query.limit, toEnvironment);
}

/** An environment of `orgId`, named by its id or its name, or NotFound. */
/** True for the environment `e` that `ref` names: its id, or its name (unique in its org). */
export function namedEnvironment(ref: string): SQLQuery {
  return isUuid(ref) ? sql`e.id = ${ref}` : sql`e.name = ${ref}`;
}

/** The id of the environment of `orgId` that `ref` names, else 404. */
export async function findEnvironmentId(db: Queryable, orgId: string, ref: string): Promise<string> {
  const [row] = await db.query(
    sql`SELECT e.id FROM environments e WHERE e.org_id = ${orgId} AND ${namedEnvironment(ref)}`,
  );
  if (!row) throw new NotFound(`Environment ${ref} was not found in the org of this repo`);
  return row.id;
}

export async function getEnvironment(db: Queryable, orgId: string, ref: string): Promise<Environment> {
  const [row] = await db.query(sql`
    SELECT ${columns} FROM environments e
    WHERE e.org_id = ${orgId} AND ${namedEnvironment(ref)}
  `);
  if (!row) throw new NotFound(`Environment ${ref} was not found in this org`);
  return toEnvironment(row);
}

/**
 * Creates an environment of `org` for one of its release managers, at the end of the pipeline. A name the org
 * already has is a 409, decided by the unique constraint (two concurrent creates: one wins).
 */
export async function createEnvironment(
  db: Queryable,
  org: OrgAccess,
  input: { name: string; protected?: boolean; actorId: string },
): Promise<Environment> {
  checkMayManageEnvironments(org.role);
  try {
    return await db.tx(async (tx) => {
      const [row] = await tx.query(sql`
        INSERT INTO environments AS e (org_id, name, protected, position)
        VALUES (${org.id}, ${input.name}, ${input.protected ?? false},
                (SELECT COALESCE(max(position), 0) + 1 FROM environments WHERE org_id = ${org.id}))
        RETURNING ${columns}
      `);
      const made = toEnvironment(row);
      await recordEvent(tx, {
        type: 'environment.created',
        orgId: org.id,
        repoId: null,
        actorId: input.actorId,
        resource: made,
      });
      return made;
    });
  } catch (err) {
    if (isUniqueViolation(err, 'environments_org_name')) {
      throw new Conflict(`Org ${org.slug} already has an environment named ${input.name}.`);
    }
    throw err;
  }
}

/**
 * The first cycle through `start` in a graph of requirements (environment → the environments it requires), as the
 * path start → … → start, or null. The graph is small (one org's environments), so a depth-first walk will do.
 */
export function findCycle(requirements: ReadonlyMap<string, readonly string[]>, start: string): string[] | null {
  const seen = new Set<string>();
  const walk = (node: string, path: string[]): string[] | null => {
    for (const next of requirements.get(node) ?? []) {
      if (next === start) return [...path, next];
      if (seen.has(next)) continue;
      seen.add(next);
      const found = walk(next, [...path, next]);
      if (found) return found;
    }
    return null;
  };
  return walk(start, [start]);
}

interface EnvironmentChanges {
  position?: number;
  requires?: string[];
  requiredApprovals?: number;
  protected?: boolean;
}

/**
 * Changes an environment's place in the pipeline and its rules, for a release manager of its org, in one
 * transaction. `requires` names environments of the same org (else 422 naming each) and must not close a cycle
 * (422 naming it). Changes to one org's pipeline are serialised on the org's row, so two concurrent changes cannot
 * each add half of a cycle.
 */
export async function updateEnvironment(
  db: Queryable,
  org: OrgAccess,
  ref: string,
  changes: EnvironmentChanges,
  actorId: string,
): Promise<Environment> {
  checkMayManageEnvironments(org.role, 'Changing environments');
  return db.tx(async (tx) => {
    await tx.query(sql`SELECT id FROM orgs WHERE id = ${org.id} FOR NO KEY UPDATE`);
    const target = await getEnvironment(tx, org.id, ref);
    if (changes.requires !== undefined) {
      const all = await tx.query(sql`SELECT id, name FROM environments WHERE org_id = ${org.id}`);
      const idOf = new Map(all.map((row) => [row.name as string, row.id as string]));
      const problems: FieldError[] = [];
      changes.requires.forEach((name, index) => {
        if (!idOf.has(name)) {
          problems.push({ path: `/body/requires/${index}`, message: `environment ${name} does not exist in this org` });
        } else if (name === target.name) {
          problems.push({ path: `/body/requires/${index}`, message: `${name} cannot require itself` });
        }
      });
      if (problems.length) {
        throw new Unprocessable(
          `requires must name other environments of org ${org.slug}: ${problems.map((p) => p.message).join('; ')}.`,
          problems,
        );
      }
      const edges = await tx.query(sql`
        SELECT e.name, r.name AS required
        FROM environment_requirements q
        JOIN environments e ON e.id = q.environment_id
        JOIN environments r ON r.id = q.required_environment_id
        WHERE e.org_id = ${org.id}`);
      const graph = new Map<string, string[]>();
      for (const edge of edges) graph.set(edge.name, [...(graph.get(edge.name) ?? []), edge.required]);
      graph.set(target.name, changes.requires);
      const cycle = findCycle(graph, target.name);
      if (cycle) {
        throw new Unprocessable(
          `These requires would make a cycle, so no release could ever be deployed to ${target.name}: ${cycle.join(' → ')} (each requires the next). Remove one of these requirements.`,
          [{ path: '/body/requires', message: `makes the cycle ${cycle.join(' → ')}` }],
        );
      }
      await tx.query(sql`DELETE FROM environment_requirements WHERE environment_id = ${target.id}`);
      if (changes.requires.length) {
        const ids = changes.requires.map((name) => idOf.get(name) as string);
        await tx.query(sql`
          INSERT INTO environment_requirements (environment_id, required_environment_id)
          SELECT ${target.id}, unnest(${ids}::uuid[])`);
      }
    }
    await tx.query(sql`
      UPDATE environments SET
        position = COALESCE(${changes.position ?? null}::integer, position),
        required_approvals = COALESCE(${changes.requiredApprovals ?? null}::smallint, required_approvals),
        protected = COALESCE(${changes.protected ?? null}::boolean, protected)
      WHERE id = ${target.id}`);
    const changed = await getEnvironment(tx, org.id, target.id);
    await recordEvent(tx, { type: 'environment.updated', orgId: org.id, repoId: null, actorId, resource: changed });
    return changed;
  });
}

/**
 * What runs where: one page of the environments of the repo's org, in pipeline order, each with the repo's current
 * deployment there (its newest successful one, by when it finished) or null. One query: the current deployment
 * is a LATERAL lookup per environment on the index of successful deployments by repo and environment.
 */
export async function listRepoEnvironments(
  db: Queryable,
  repo: RepoAccess,
  query: { limit: number; cursor?: string },
): Promise<{ items: RepoEnvironment[]; nextCursor: string | null }> {
  const rows = await db.query(sql`
    SELECT ${columns}, cur.id AS deployment_id, cur.release_id, cur.version, cur.deployed_at, cur.deployed_by,
           cur.deployed_by_name
    FROM environments e
    LEFT JOIN LATERAL (
      SELECT d.id, d.release_id, r.version, COALESCE(d.ended_at, d.started_at) AS deployed_at, d.deployed_by,
             u.name AS deployed_by_name
      FROM deployments d JOIN releases r ON r.id = d.release_id JOIN users u ON u.id = d.deployed_by
      WHERE d.repo_id = ${repo.id} AND d.environment_id = e.id AND d.status = 'success'
      ORDER BY d.ended_at DESC NULLS LAST, d.id DESC
      LIMIT 1
    ) cur ON true
    WHERE e.org_id = ${repo.orgId} ${afterPosition(query.cursor)}
    ORDER BY e.position, e.name
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
          deployedBy: { id: row.deployed_by, name: row.deployed_by_name },
        }
      : null,
  }));
}
