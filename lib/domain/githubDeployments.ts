import type { SQLQuery } from '@databases/pg';
import type { GithubState } from '../../schemas/github';
import { decodeCursor, encodeCursor, invalidCursor, keysetPage } from '../infra/cursor';
import { type Queryable, type Row, sql } from '../infra/db';
import { NotFound, Unprocessable } from '../infra/errors';
import { isoTime } from '../infra/time';
import type { RepoAccess } from './access';
import { checkMayDeploy, createDeployment, finishDeployment } from './deployments';
import { type GithubPage, type GithubUser, pageStart } from './github';
import { normalizeVersion } from './versions';

/**
 * GitHub's deployments and deployment statuses on ours. A deployment made through GitHub's API starts in_progress
 * (or waiting, where its environment needs approvals); GitHub's states map onto our lifecycle:
 * queued/pending/in_progress are recorded while it runs, success finishes it as success, failure and error as
 * failed, and nothing follows a final status (final-once). Every change of status is in the history (migration
 * 0013's trigger), whatever made it: a review, a cancel, a rollback, the native API.
 */

export interface GithubDeployment {
  githubId: number;
  id: string;
  tag: string;
  commit: string | null;
  environment: string;
  protected: boolean;
  description: string | null;
  status: string;
  creator: GithubUser;
  createdAt: string;
  updatedAt: string;
}

export interface GithubDeploymentStatus {
  githubId: number;
  deploymentGithubId: number;
  state: GithubState;
  description: string;
  environment: string;
  logUrl: string | null;
  environmentUrl: string | null;
  creator: GithubUser;
  createdAt: string;
}

const deploymentColumns = sql`
  d.github_id, d.id, r.version, r.commit, e.name AS environment, e.protected, d.description, d.status,
  u.github_id AS creator_github_id, u.name AS creator_name, d.started_at, COALESCE(d.ended_at, d.started_at) AS updated_at`;
const deploymentJoins = sql`
  deployments d JOIN releases r ON r.id = d.release_id JOIN environments e ON e.id = d.environment_id
  JOIN users u ON u.id = d.deployed_by`;

function toDeployment(row: Row): GithubDeployment {
  return {
    githubId: Number(row.github_id),
    id: row.id,
    tag: `v${row.version}`,
    commit: row.commit,
    environment: row.environment,
    protected: row.protected,
    description: row.description,
    status: row.status,
    creator: { githubId: Number(row.creator_github_id), name: row.creator_name },
    createdAt: isoTime(row.started_at),
    updatedAt: isoTime(row.updated_at),
  };
}

/** Deployment `githubId` of `repoId`, or NotFound (also for one of another repo). */
export async function githubDeployment(db: Queryable, repoId: string, githubId: number): Promise<GithubDeployment> {
  const [row] = await db.query(sql`
    SELECT ${deploymentColumns} FROM ${deploymentJoins} WHERE d.repo_id = ${repoId} AND d.github_id = ${githubId}`);
  if (!row) throw new NotFound('Not Found');
  return toDeployment(row);
}

function cannotHonour(field: string, why: string): Unprocessable {
  return new Unprocessable(`${field}: ${why}`, [{ path: `/body/${field}`, message: why }]);
}

/**
 * Records a deployment from GitHub's fields: `ref` names a release by its tag, `environment` one of the org's
 * environments; the native rules apply (protected environments, promotion, approvals). It starts in_progress (or
 * waiting for approvals), to be finished by a status. auto_merge and required_contexts are accepted and do nothing:
 * there is no branch to merge and no commit status to check.
 */
export async function createGithubDeployment(
  db: Queryable,
  repo: RepoAccess,
  userId: string,
  input: {
    ref: string;
    environment: string;
    task?: string;
    payload?: unknown;
    description?: string | null;
    transient_environment?: boolean;
    production_environment?: boolean;
  },
): Promise<GithubDeployment> {
  if (input.task !== undefined && input.task !== 'deploy') {
    throw cannotHonour('task', 'the only task here is deploy');
  }
  const payload = input.payload;
  if (
    payload !== undefined &&
    payload !== '' &&
    !(typeof payload === 'object' && Object.keys(payload as object).length === 0)
  ) {
    throw cannotHonour('payload', 'a deployment carries no payload here');
  }
  if (input.transient_environment) throw cannotHonour('transient_environment', 'environments here are never transient');
  if (input.production_environment !== undefined) {
    throw cannotHonour(
      'production_environment',
      'environments are not marked as production here: their pipeline order and protection say what they are',
    );
  }
  const version = normalizeVersion(input.ref);
  return db.tx(async (tx) => {
    const [release] = version
      ? await tx.query(sql`SELECT id FROM releases WHERE repo_id = ${repo.id} AND version = ${version}`)
      : [];
    if (!release) {
      throw new Unprocessable(`No release with tag ${input.ref} in this repo: ref names a release by its tag.`, [
        { path: '/body/ref', message: `no release has the tag ${input.ref}` },
      ]);
    }
    const [environment] = await tx.query(sql`
      SELECT id FROM environments WHERE org_id = ${repo.orgId} AND name = ${input.environment}`);
    if (!environment) {
      throw new Unprocessable(`No environment named ${input.environment} in the org of this repo.`, [
        { path: '/body/environment', message: `environment ${input.environment} does not exist` },
      ]);
    }
    const created = await createDeployment(tx, repo, {
      release: release.id,
      deployedBy: userId,
      environmentId: environment.id,
      status: 'in_progress',
    });
    const [row] = await tx.query(sql`
      UPDATE deployments SET description = ${input.description ?? null} WHERE id = ${created.id} RETURNING github_id`);
    return githubDeployment(tx, repo.id, Number(row.github_id));
  });
}

/** One page of a repo's deployments, newest first, filtered as GitHub filters them, and how many match. */
export async function listGithubDeployments(
  db: Queryable,
  repoId: string,
  query: { environment?: string; ref?: string; sha?: string; task?: string },
  page: GithubPage,
): Promise<{ items: GithubDeployment[]; total: number; nextCursor: string | null }> {
  const conditions: SQLQuery[] = [sql`d.repo_id = ${repoId}`];
  if (query.environment !== undefined) conditions.push(sql`e.name = ${query.environment}`);
  if (query.ref !== undefined) conditions.push(sql`r.version = ${normalizeVersion(query.ref) ?? ''}`);
  if (query.sha !== undefined) conditions.push(sql`r.commit = ${query.sha}`);
  if (query.task !== undefined && query.task !== 'deploy') conditions.push(sql`false`);
  const where = sql.join(conditions, sql` AND `);
  const start = pageStart(page, (cursor) => {
    const [after] = decodeCursor('github-deployments', cursor, 1) as [string];
    if (!/^\d{1,15}$/.test(after)) throw invalidCursor();
    return sql`d.github_id < ${Number(after)}`;
  });
  const [rows, [count]] = await Promise.all([
    db.query(sql`
      SELECT ${deploymentColumns} FROM ${deploymentJoins} WHERE ${where} AND ${start.where}
      ORDER BY d.github_id DESC
      LIMIT ${page.perPage + 1} OFFSET ${start.offset}`),
    db.query(sql`SELECT count(*)::int AS n FROM ${deploymentJoins} WHERE ${where}`),
  ]);
  const { items, nextCursor } = keysetPage(rows, page.perPage, toDeployment, (last) =>
    encodeCursor('github-deployments', [String(last.github_id)]),
  );
  return { items, total: count.n, nextCursor };
}

const statusColumns = sql`
  s.github_id, d.github_id AS deployment_github_id, s.state, s.description, e.name AS environment, s.log_url,
  s.environment_url, u.github_id AS creator_github_id, u.name AS creator_name, s.created_at`;

function toStatus(row: Row): GithubDeploymentStatus {
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

const FINAL = new Set(['success', 'failed', 'rejected', 'cancelled']);

function refused(why: string): Unprocessable {
  return new Unprocessable(why, [{ path: '/body/state', message: why }]);
}

/**
 * Posts a status on deployment `githubId` of `repo`, in one transaction with the deployment's row locked: success,
 * failure or error finish an in_progress deployment (failure and error as failed); queued, pending and in_progress
 * are recorded while it has not finished. A status after a final one, a finish while it waits for approvals, and
 * inactive (a deployment stops being current when a newer one succeeds in its environment) are 422.
 */
export async function createGithubStatus(
  db: Queryable,
  repo: RepoAccess,
  userId: string,
  githubId: number,
  input: {
    state: GithubState;
    description?: string | null;
    environment?: string;
    log_url?: string;
    target_url?: string;
    environment_url?: string;
  },
): Promise<GithubDeploymentStatus> {
  return db.tx(async (tx) => {
    const [deployment] = await tx.query(sql`
      SELECT d.id, d.status, e.name AS environment, e.protected
      FROM deployments d JOIN environments e ON e.id = d.environment_id
      WHERE d.repo_id = ${repo.id} AND d.github_id = ${githubId}
      FOR NO KEY UPDATE OF d`);
    if (!deployment) throw new NotFound('Not Found');
    if (input.environment !== undefined && input.environment !== deployment.environment) {
      throw cannotHonour('environment', `the deployment is to ${deployment.environment}; a status cannot move it`);
    }
    checkMayDeploy(repo.role, { name: deployment.environment, protected: deployment.protected });
    if (FINAL.has(deployment.status)) {
      throw refused(`Deployment ${githubId} is already ${deployment.status}, which is final: no status can follow it.`);
    }
    if (input.state === 'inactive') {
      throw refused(
        'inactive is not posted here: a deployment stops being current when a newer one succeeds in its environment.',
      );
    }
    const finishing = input.state === 'success' || input.state === 'failure' || input.state === 'error';
    if (deployment.status === 'waiting' && (finishing || input.state === 'in_progress')) {
      throw refused(`Deployment ${githubId} is waiting for approvals; it can run once it has been approved.`);
    }
    const details = {
      description: input.description ?? '',
      logUrl: input.log_url ?? input.target_url ?? null,
      environmentUrl: input.environment_url ?? null,
    };
    let statusId: number;
    if (finishing) {
      await finishDeployment(tx, {
        id: deployment.id,
        userId,
        status: input.state === 'success' ? 'success' : 'failed',
      });
      // the trigger recorded the change; it is this status
      const [row] = await tx.query(sql`
        UPDATE deployment_statuses SET state = ${input.state}, description = ${details.description},
          log_url = ${details.logUrl}, environment_url = ${details.environmentUrl}, created_by = ${userId}
        WHERE github_id = (SELECT max(github_id) FROM deployment_statuses WHERE deployment_id = ${deployment.id})
        RETURNING github_id`);
      statusId = Number(row.github_id);
    } else {
      const [row] = await tx.query(sql`
        INSERT INTO deployment_statuses (deployment_id, state, description, log_url, environment_url, created_by)
        VALUES (${deployment.id}, ${input.state}, ${details.description}, ${details.logUrl}, ${details.environmentUrl},
                ${userId})
        RETURNING github_id`);
      statusId = Number(row.github_id);
    }
    const [status] = await tx.query(sql`
      SELECT ${statusColumns}
      FROM deployment_statuses s JOIN deployments d ON d.id = s.deployment_id
      JOIN environments e ON e.id = d.environment_id JOIN users u ON u.id = s.created_by
      WHERE s.github_id = ${statusId}`);
    return toStatus(status);
  });
}

/** One page of the statuses of deployment `githubId` of `repoId`, newest first, and how many it has. */
export async function listGithubStatuses(
  db: Queryable,
  repoId: string,
  githubId: number,
  page: GithubPage,
): Promise<{ items: GithubDeploymentStatus[]; total: number }> {
  const [deployment] = await db.query(
    sql`SELECT id FROM deployments WHERE repo_id = ${repoId} AND github_id = ${githubId}`,
  );
  if (!deployment) throw new NotFound('Not Found');
  const [rows, [count]] = await Promise.all([
    db.query(sql`
      SELECT ${statusColumns}
      FROM deployment_statuses s JOIN deployments d ON d.id = s.deployment_id
      JOIN environments e ON e.id = d.environment_id JOIN users u ON u.id = s.created_by
      WHERE s.deployment_id = ${deployment.id}
      ORDER BY s.github_id DESC
      LIMIT ${page.perPage} OFFSET ${(page.page - 1) * page.perPage}`),
    db.query(sql`SELECT count(*)::int AS n FROM deployment_statuses WHERE deployment_id = ${deployment.id}`),
  ]);
  return { items: rows.map(toStatus), total: count.n };
}

export interface GithubEnvironment {
  githubId: number;
  name: string;
  requiredApprovals: number;
  createdAt: string;
}

const environmentColumns = sql`e.github_id, e.name, e.required_approvals, e.created_at`;

function toEnvironment(row: Row): GithubEnvironment {
  return {
    githubId: Number(row.github_id),
    name: row.name,
    requiredApprovals: row.required_approvals,
    createdAt: isoTime(row.created_at),
  };
}

/** The environments of the repo's org, in pipeline order, one page, and how many there are. */
export async function listGithubEnvironments(
  db: Queryable,
  repo: RepoAccess,
  page: GithubPage,
): Promise<{ items: GithubEnvironment[]; total: number }> {
  const [rows, [count]] = await Promise.all([
    db.query(sql`
      SELECT ${environmentColumns} FROM environments e WHERE e.org_id = ${repo.orgId}
      ORDER BY e.position, e.name
      LIMIT ${page.perPage} OFFSET ${(page.page - 1) * page.perPage}`),
    db.query(sql`SELECT count(*)::int AS n FROM environments WHERE org_id = ${repo.orgId}`),
  ]);
  return { items: rows.map(toEnvironment), total: count.n };
}

export async function githubEnvironment(db: Queryable, repo: RepoAccess, name: string): Promise<GithubEnvironment> {
  const [row] = await db.query(sql`
    SELECT ${environmentColumns} FROM environments e WHERE e.org_id = ${repo.orgId} AND e.name = ${name}`);
  if (!row) throw new NotFound('Not Found');
  return toEnvironment(row);
}
