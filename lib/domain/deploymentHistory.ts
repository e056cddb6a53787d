import type { SQLQuery } from '@databases/pg';
import type { Deployment } from '../../schemas/deployments';
import type { GithubState } from '../../schemas/github';
import { decodeCursor, encodeCursor, invalidCursor, keysetPage } from '../infra/cursor';
import { type Queryable, type Row, sql } from '../infra/db';
import { NotFound, Unprocessable } from '../infra/errors';
import { isoTime } from '../infra/time';
import type { RepoAccess } from './access';
import { checkMayDeploy, columns, deploymentForMember, finishDeployment, joined, toDeployment } from './deployments';
import { normalizeVersion } from './versions';

/**
 * A repo's deployments in the order they were recorded, and every status each has taken (migration 0013's history,
 * in its vocabulary: queued, pending, in_progress, success, failure, error, inactive). The trigger writes one entry
 * per change of status, whatever made it; a reporter (a CI pipeline) adds entries with a description and links.
 */

export type ReportedState = GithubState;

export interface StatusEntry {
  /** the entry's number, in the order entries were written */
  id: number;
  deploymentId: string;
  state: ReportedState;
  description: string;
  environment: string;
  logUrl: string | null;
  environmentUrl: string | null;
  createdBy: { id: string; name: string };
  createdAt: string;
}

/**
 * One page of the deployments of `repoId`, newest recorded first, filtered by environment name, release version and
 * commit, and how many match. The page starts after `cursor`, or `offset` in.
 */
export async function listRepoDeployments(
  db: Queryable,
  repoId: string,
  filter: { environment?: string; version?: string; commit?: string; none?: boolean },
  page: { limit: number; cursor?: string; offset?: number },
): Promise<{ items: Deployment[]; total: number; nextCursor: string | null }> {
  const conditions: SQLQuery[] = [sql`d.repo_id = ${repoId}`];
  if (filter.environment !== undefined) conditions.push(sql`e.name = ${filter.environment}`);
  if (filter.version !== undefined) conditions.push(sql`r.version = ${normalizeVersion(filter.version) ?? ''}`);
  if (filter.commit !== undefined) conditions.push(sql`r.commit = ${filter.commit}`);
  if (filter.none) conditions.push(sql`false`);
  const where = sql.join(conditions, sql` AND `);
  let after = sql`true`;
  if (page.cursor) {
    const [last] = decodeCursor('repo-deployments', page.cursor, 1) as [string];
    if (!/^\d{1,15}$/.test(last)) throw invalidCursor();
    after = sql`d.github_id < ${Number(last)}`;
  }
  const [rows, [count]] = await Promise.all([
    // github_id is the order deployments were recorded in (an identity), with an index per repo
    db.query(sql`
      SELECT ${columns}, d.github_id FROM ${joined} WHERE ${where} AND ${after}
      ORDER BY d.github_id DESC
      LIMIT ${page.limit + 1} OFFSET ${page.cursor ? 0 : (page.offset ?? 0)}`),
    db.query(sql`SELECT count(*)::int AS n FROM ${joined} WHERE ${where}`),
  ]);
  const { items, nextCursor } = keysetPage(rows, page.limit, toDeployment, (last) =>
    encodeCursor('repo-deployments', [String(last.github_id)]),
  );
  return { items, total: count.n, nextCursor };
}

const statusSelect = sql`
  SELECT s.github_id, s.deployment_id, s.state, s.description, e.name AS environment, s.log_url, s.environment_url,
    s.created_by, u.name AS created_by_name, s.created_at
  FROM deployment_statuses s JOIN deployments d ON d.id = s.deployment_id
  JOIN environments e ON e.id = d.environment_id JOIN users u ON u.id = s.created_by`;

function toEntry(row: Row): StatusEntry {
  return {
    id: Number(row.github_id),
    deploymentId: row.deployment_id,
    state: row.state,
    description: row.description,
    environment: row.environment,
    logUrl: row.log_url,
    environmentUrl: row.environment_url,
    createdBy: { id: row.created_by, name: row.created_by_name },
    createdAt: isoTime(row.created_at),
  };
}

/** One page of the statuses of deployment `deploymentId` (already found for its caller), newest first, and how many. */
export async function listStatusEntries(
  db: Queryable,
  deploymentId: string,
  page: { limit: number; offset: number },
): Promise<{ items: StatusEntry[]; total: number }> {
  const [rows, [count]] = await Promise.all([
    db.query(sql`${statusSelect} WHERE s.deployment_id = ${deploymentId}
      ORDER BY s.github_id DESC LIMIT ${page.limit} OFFSET ${page.offset}`),
    db.query(sql`SELECT count(*)::int AS n FROM deployment_statuses WHERE deployment_id = ${deploymentId}`),
  ]);
  return { items: rows.map(toEntry), total: count.n };
}

/** Status entry `entryId` (its number) of deployment `deploymentId` (already found for its caller), or NotFound. */
export async function getStatusEntry(db: Queryable, deploymentId: string, entryId: number): Promise<StatusEntry> {
  const [row] = await db.query(
    sql`${statusSelect} WHERE s.deployment_id = ${deploymentId} AND s.github_id = ${entryId}`,
  );
  if (!row) throw new NotFound(`No status ${entryId} of this deployment`);
  return toEntry(row);
}

const FINAL = new Set(['success', 'failed', 'rejected', 'cancelled']);

/** 422 on the reported state, saying why it cannot be taken. */
function refused(why: string, path = '/body/state'): Unprocessable {
  return new Unprocessable(why, [{ path, message: why }]);
}

/**
 * Reports a status of deployment `deploymentId` of `repo`, in one transaction with the deployment's row locked:
 * success, failure or error finish an in_progress deployment (failure and error as failed), and the entry the
 * change wrote carries the report; queued, pending and in_progress are entries of their own while it has not
 * finished. A report after a final status, a finish while it waits for approvals, a move to another environment
 * and inactive (a deployment stops being current when a newer one succeeds in its environment) are 422.
 */
export async function reportStatus(
  db: Queryable,
  repo: RepoAccess,
  userId: string,
  deploymentId: string,
  report: {
    state: ReportedState;
    description: string;
    environment?: string;
    logUrl: string | null;
    environmentUrl: string | null;
  },
): Promise<StatusEntry> {
  return db.tx(async (tx) => {
    const { deployment, environment } = await deploymentForMember(tx, deploymentId, userId, true);
    if (report.environment !== undefined && report.environment !== environment.name) {
      const why = `the deployment is to ${environment.name}; a status cannot move it`;
      throw refused(`environment: ${why}`, '/body/environment');
    }
    checkMayDeploy(repo.role, environment);
    const number = (await tx.query(sql`SELECT github_id FROM deployments WHERE id = ${deploymentId}`))[0].github_id;
    if (FINAL.has(deployment.status)) {
      throw refused(`Deployment ${number} is already ${deployment.status}, which is final: no status can follow it.`);
    }
    if (report.state === 'inactive') {
      throw refused(
        'inactive is not posted here: a deployment stops being current when a newer one succeeds in its environment.',
      );
    }
    const finishing = report.state === 'success' || report.state === 'failure' || report.state === 'error';
    if (deployment.status === 'waiting' && (finishing || report.state === 'in_progress')) {
      throw refused(`Deployment ${number} is waiting for approvals; it can run once it has been approved.`);
    }
    const values = sql`${report.state}, ${report.description}, ${report.logUrl}, ${report.environmentUrl}, ${userId}`;
    let written: Row[];
    if (finishing) {
      const status = report.state === 'success' ? 'success' : 'failed';
      await finishDeployment(tx, { id: deploymentId, userId, status });
      // the trigger recorded the change; it is this report
      written = await tx.query(sql`
        UPDATE deployment_statuses SET (state, description, log_url, environment_url, created_by) = (${values})
        WHERE github_id = (SELECT max(github_id) FROM deployment_statuses WHERE deployment_id = ${deploymentId})
        RETURNING github_id`);
    } else {
      written = await tx.query(sql`
        INSERT INTO deployment_statuses (deployment_id, state, description, log_url, environment_url, created_by)
        VALUES (${deploymentId}, ${values}) RETURNING github_id`);
    }
    const [{ github_id: entry }] = written as [{ github_id: number }];
    const [row] = await tx.query(sql`${statusSelect} WHERE s.github_id = ${entry}`);
    return toEntry(row);
  });
}
