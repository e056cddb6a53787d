import type { Role } from '../../schemas/common';
import type {
  Deployment,
  DeploymentDetail,
  DeploymentStatus,
  FinalStatus,
  RequestedStatus,
} from '../../schemas/deployments';
import { type Queryable, type Row, sql } from '../infra/db';
import { Conflict, Forbidden, NotFound, Unprocessable } from '../infra/errors';
import { isoTime } from '../infra/time';
import type { RepoAccess } from './access';
import { deploymentTimes, endBeforeStart, isEndBeforeStart, parseTime } from './deploymentTimes';
import { type EventType, recordRepoEvent } from './events';
import { deployableReleaseId } from './releaseChanges';

/**
 * The deploy rule (the epic's two personas): anyone in the org may deploy to an unprotected environment; a
 * protected one (stg and prod by default) needs the release_manager role. Finishing a deployment follows it too.
 */
export function checkMayDeploy(role: Role, environment: { name: string; protected: boolean }): void {
  if (environment.protected && role !== 'release_manager') {
    throw new Forbidden(
      `Deploying to protected environment ${environment.name} needs the release_manager role; you are a ${role} in this org.`,
    );
  }
}

/** The status rule: a deployment changes at most once, from in_progress to success or failed; else 409. */
export function checkTransition(from: DeploymentStatus, to: DeploymentStatus): void {
  if (from === 'waiting') {
    throw new Conflict(
      'The deployment is waiting for approvals; it can be finished once it has been approved and is in_progress.',
    );
  }
  if (from !== 'in_progress') {
    throw new Conflict(
      `The deployment is already ${from}; only an in_progress deployment can be finished, and only once.`,
    );
  }
  if (to === 'in_progress') throw new Conflict('An in_progress deployment can only be finished as success or failed.');
}

export const columns = sql`
  d.id, d.release_id, r.repo_id, r.version, e.id AS environment_id, e.name AS environment_name, e.protected,
  d.status, d.kind, d.rollback_of, d.reason, d.required_approvals, d.started_at, d.ended_at, d.deployed_by,
  u.name AS deployed_by_name, d.description, r.commit`;
export const joined = sql`
  deployments d JOIN releases r ON r.id = d.release_id JOIN environments e ON e.id = d.environment_id
  JOIN users u ON u.id = d.deployed_by`;

export function toDeployment(row: Row): Deployment {
  return {
    id: row.id,
    releaseId: row.release_id,
    repoId: row.repo_id,
    version: row.version,
    environment: { id: row.environment_id, name: row.environment_name },
    status: row.status,
    kind: row.kind,
    rollbackOf: row.rollback_of,
    reason: row.reason,
    requiredApprovals: row.required_approvals,
    startedAt: isoTime(row.started_at),
    endedAt: row.ended_at === null ? null : isoTime(row.ended_at),
    deployedBy: { id: row.deployed_by, name: row.deployed_by_name },
    ...(row.description !== null && { description: row.description }),
    ...(row.commit !== null && { commit: row.commit }),
  };
}

/** The reviews of a deployment `d`, oldest first, as JSON (one index probe on deployment_reviews_once). */
const reviewsOf = sql`
  COALESCE((
    SELECT json_agg(json_build_object(
      'id', v.id, 'reviewer', json_build_object('id', v.reviewer_id, 'name', vu.name), 'decision', v.decision,
      'comment', v.comment, 'createdAt', v.created_at) ORDER BY v.created_at, v.id)
    FROM deployment_reviews v JOIN users vu ON vu.id = v.reviewer_id
    WHERE v.deployment_id = d.id), '[]') AS reviews`;

function toDetail(row: Row): DeploymentDetail {
  return {
    ...toDeployment(row),
    reviews: row.reviews.map((review: Record<string, unknown>) => ({
      ...review,
      createdAt: isoTime(review.createdAt),
    })),
  };
}

/**
 * A deployment with its reviews and what its caller may do: the caller's role in its org and its environment's
 * protection. `lock` takes the deployment's row for the caller's transaction, so that whatever decides its status
 * next (a review, a cancel, a finish) waits for this one to commit and then reads what it wrote.
 */
export async function deploymentForMember(db: Queryable, id: string, userId: string, lock = false) {
  const [row] = await db.query(sql`
    SELECT ${columns}, m.role, ${reviewsOf}
    FROM ${joined}
    JOIN repos p ON p.id = r.repo_id
    JOIN memberships m ON m.org_id = p.org_id AND m.user_id = ${userId}
    WHERE d.id = ${id}
    ${lock ? sql`FOR NO KEY UPDATE OF d` : sql``}
  `);
  if (!row) throw new NotFound(`Deployment ${id} was not found`);
  return {
    deployment: toDetail(row),
    role: row.role as Role,
    environment: { name: row.environment_name as string, protected: row.protected as boolean },
  };
}

/**
 * Records an event about deployment `id` in the transaction `tx` that changed it: its resource is the deployment
 * as GET /deployments/{id} returns it after the change (with its reviews).
 */
export async function recordDeploymentEvent(
  tx: Queryable,
  type: EventType,
  id: string,
  actorId: string,
): Promise<void> {
  const [row] = await tx.query(sql`SELECT ${columns}, ${reviewsOf} FROM ${joined} WHERE d.id = ${id}`);
  await recordRepoEvent(tx, { type, repoId: row.repo_id, actorId, resource: toDetail(row) });
}

/** A deployment with its reviews, visible only to members of the org of its release's repo (to others it does not exist). */
export async function getDeployment(db: Queryable, id: string, userId: string): Promise<DeploymentDetail> {
  return (await deploymentForMember(db, id, userId)).deployment;
}

/**
 * The promotion rule: the environments `environmentId` requires where release `releaseId` has no successful
 * deployment yet, by pipeline order (empty: it may be deployed).
 */
async function missingRequirements(db: Queryable, releaseId: string, environmentId: string): Promise<string[]> {
  const rows = await db.query(sql`
    SELECT req.name
    FROM environment_requirements q JOIN environments req ON req.id = q.required_environment_id
    WHERE q.environment_id = ${environmentId}
      AND NOT EXISTS (
        SELECT 1 FROM deployments d
        WHERE d.release_id = ${releaseId} AND d.environment_id = req.id AND d.status = 'success')
    ORDER BY req.position, req.name`);
  return rows.map((row) => row.name as string);
}

/**
 * Records a deployment of a release of `repo` (named by id or version) to an environment of the repo's org, by a
 * member of it, in one transaction. Unknown release: 404; environment not in the org: 422; protected environment
 * and not a release manager: 403; bad times: 400.
 */
export async function createDeployment(
  db: Queryable,
  repo: RepoAccess,
  input: {
    release: string;
    deployedBy: string;
    environmentId: string;
    status?: RequestedStatus;
    startedAt?: string;
    endedAt?: string | null;
    description?: string | null;
  },
): Promise<Deployment> {
  const requested = input.status ?? 'success';
  const times = deploymentTimes({ status: requested, startedAt: input.startedAt, endedAt: input.endedAt });
  return db.tx(async (tx) => {
    const releaseId = await deployableReleaseId(tx, repo.id, input.release);
    const [environment] = await tx.query(sql`
      SELECT id, name, protected, required_approvals
      FROM environments WHERE id = ${input.environmentId} AND org_id = ${repo.orgId}`);
    if (!environment) {
      throw new Unprocessable(`Environment ${input.environmentId} is not an environment of the org of this repo.`, [
        {
          path: '/body/environmentId',
          message: `environment ${input.environmentId} does not exist in the org of this repo`,
        },
      ]);
    }
    checkMayDeploy(repo.role, environment);
    const missing = await missingRequirements(tx, releaseId, environment.id);
    if (missing.length) {
      const [{ version }] = await tx.query(sql`SELECT version FROM releases WHERE id = ${releaseId}`);
      const where = missing.join(' and ');
      throw new Conflict(
        `Release ${version} cannot be deployed to ${environment.name} yet: ${environment.name} requires a successful deployment of it first in ${where}, where it has none. Deploy it to ${where} first.`,
        missing.map((name) => ({
          path: '/body/environmentId',
          message: `release ${version} has no successful deployment in ${name}, which ${environment.name} requires`,
        })),
      );
    }
    const approvals: number = environment.required_approvals;
    if (approvals > 0 && (input.startedAt !== undefined || (input.endedAt ?? null) !== null)) {
      throw new Unprocessable(
        `A deployment to ${environment.name} waits for ${approvals} approval(s) and starts when they are in, so it cannot be given startedAt or endedAt.`,
        [{ path: input.startedAt !== undefined ? '/body/startedAt' : '/body/endedAt', message: 'is set at approval' }],
      );
    }
    const status: DeploymentStatus = approvals > 0 ? 'waiting' : requested;
    let id: string;
    try {
      [{ id }] = (await tx.query(sql`
        INSERT INTO deployments (release_id, environment_id, status, requested_status, required_approvals,
                                 started_at, ended_at, deployed_by, description)
        VALUES (${releaseId}, ${environment.id}, ${status}, ${requested}, ${approvals},
                COALESCE(${times.startedAt}, now()),
                ${status === 'in_progress' || status === 'waiting' ? sql`NULL` : sql`COALESCE(${times.endedAt}, now())`},
                ${input.deployedBy}, ${input.description ?? null})
        RETURNING id`)) as [{ id: string }];
    } catch (err) {
      if (isEndBeforeStart(err)) throw endBeforeStart();
      throw err;
    }
    await recordDeploymentEvent(tx, 'deployment.created', id, input.deployedBy);
    const [row] = await tx.query(sql`SELECT ${columns} FROM ${joined} WHERE d.id = ${id}`);
    return toDeployment(row);
  });
}

/**
 * Finishes an in_progress deployment as success or failed, once. Race-safe: the update only applies to a row
 * still in_progress, so of two concurrent finishes exactly one succeeds and the other is a 409.
 */
export async function finishDeployment(
  db: Queryable,
  input: { id: string; userId: string; status: FinalStatus; endedAt?: string },
): Promise<Deployment> {
  return db.tx(async (tx) => {
    const found = await deploymentForMember(tx, input.id, input.userId);
    checkMayDeploy(found.role, found.environment);
    checkTransition(found.deployment.status, input.status);
    const endedAt = input.endedAt === undefined ? null : parseTime(input.endedAt, '/body/endedAt');
    if (endedAt && endedAt < new Date(found.deployment.startedAt)) throw endBeforeStart();
    let updated: unknown[];
    try {
      updated = await tx.query(sql`
        UPDATE deployments SET status = ${input.status}, ended_at = COALESCE(${endedAt}, now())
        WHERE id = ${input.id} AND status = 'in_progress'
        RETURNING id`);
    } catch (err) {
      if (isEndBeforeStart(err)) throw endBeforeStart();
      throw err;
    }
    const after = await deploymentForMember(tx, input.id, input.userId);
    // another request finished it between our read and our update
    if (updated.length === 0) checkTransition(after.deployment.status, input.status);
    await recordRepoEvent(tx, {
      type: 'deployment.status_changed',
      repoId: after.deployment.repoId,
      actorId: input.userId,
      resource: after.deployment,
    });
    const { reviews: _, ...deployment } = after.deployment;
    return deployment;
  });
}
