import type { DeploymentDetail } from '../../schemas/deployments';
import { isUniqueViolation, type Queryable, sql } from '../infra/db';
import { Conflict, Forbidden } from '../infra/errors';
import { deploymentForMember, recordDeploymentEvent } from './deployments';

type Decision = 'approve' | 'reject';

/**
 * The review rule: a waiting deployment is reviewed by release managers of its org other than the one who asked
 * for it (four eyes), each once.
 */
export function checkMayReview(
  role: string,
  deployment: Pick<DeploymentDetail, 'status' | 'deployedBy' | 'reviews'>,
  userId: string,
): void {
  if (role !== 'release_manager') {
    throw new Forbidden(`Reviewing deployments needs the release_manager role; you are a ${role} in this org.`);
  }
  if (deployment.deployedBy.id === userId) {
    throw new Forbidden(
      'You asked for this deployment, so you cannot review it: another release manager of the org must.',
    );
  }
  const mine = deployment.reviews.find((review) => review.reviewer.id === userId);
  if (mine) {
    throw new Conflict(
      `You already reviewed this deployment (${mine.decision}, ${mine.createdAt}); each reviewer reviews once.`,
    );
  }
  if (deployment.status !== 'waiting') {
    throw new Conflict(`The deployment is ${deployment.status}; only a waiting deployment can be reviewed.`);
  }
}

/**
 * Records a review of a waiting deployment and applies it, in one transaction: a reject ends the deployment as
 * rejected; the approval that reaches its required count moves it on to the status it was asked for, started now.
 * The deployment's row is locked first, so two reviews (or a review and a cancel) at once are applied one after the
 * other, and the second sees what the first decided.
 */
export async function reviewDeployment(
  db: Queryable,
  input: { id: string; userId: string; decision: Decision; comment?: string },
): Promise<DeploymentDetail> {
  return db.tx(async (tx) => {
    const found = await deploymentForMember(tx, input.id, input.userId, true);
    checkMayReview(found.role, found.deployment, input.userId);
    try {
      await tx.query(sql`
        INSERT INTO deployment_reviews (deployment_id, reviewer_id, decision, comment)
        VALUES (${input.id}, ${input.userId}, ${input.decision}, ${input.comment ?? null})`);
    } catch (err) {
      if (isUniqueViolation(err, 'deployment_reviews_once')) {
        throw new Conflict('You already reviewed this deployment; each reviewer reviews once.');
      }
      throw err;
    }
    let changed: unknown[];
    if (input.decision === 'reject') {
      changed = await tx.query(sql`
        UPDATE deployments SET status = 'rejected', ended_at = now() WHERE id = ${input.id} AND status = 'waiting'
        RETURNING id`);
    } else {
      changed = await tx.query(sql`
        UPDATE deployments d SET status = d.requested_status, started_at = now(),
          ended_at = CASE WHEN d.requested_status = 'in_progress' THEN NULL ELSE now() END
        WHERE d.id = ${input.id} AND d.status = 'waiting'
          AND (SELECT count(*) FROM deployment_reviews v WHERE v.deployment_id = d.id AND v.decision = 'approve')
              >= d.required_approvals
        RETURNING d.id`);
    }
    await recordDeploymentEvent(tx, 'deployment.reviewed', input.id, input.userId);
    if (changed.length) await recordDeploymentEvent(tx, 'deployment.status_changed', input.id, input.userId);
    return (await deploymentForMember(tx, input.id, input.userId)).deployment;
  });
}

/**
 * Withdraws a waiting deployment, for the one who asked for it: it ends as cancelled. Conditional on the status, so
 * of a cancel and a review at once exactly one decides.
 */
export async function cancelDeployment(
  db: Queryable,
  input: { id: string; userId: string; reason?: string },
): Promise<DeploymentDetail> {
  return db.tx(async (tx) => {
    const found = await deploymentForMember(tx, input.id, input.userId, true);
    if (found.deployment.deployedBy.id !== input.userId) {
      throw new Forbidden(
        `Only the one who asked for a deployment (${found.deployment.deployedBy.name}) may cancel it.`,
      );
    }
    if (found.deployment.status !== 'waiting') {
      throw new Conflict(`The deployment is ${found.deployment.status}; only a waiting deployment can be cancelled.`);
    }
    await tx.query(sql`
      UPDATE deployments SET status = 'cancelled', ended_at = now(), reason = ${input.reason ?? null}
      WHERE id = ${input.id} AND status = 'waiting'`);
    await recordDeploymentEvent(tx, 'deployment.status_changed', input.id, input.userId);
    return (await deploymentForMember(tx, input.id, input.userId)).deployment;
  });
}
