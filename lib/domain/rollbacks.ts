import type { Deployment } from '../../schemas/deployments';
import { type Queryable, sql } from '../infra/db';
import { Conflict, NotFound, Unprocessable } from '../infra/errors';
import type { RepoAccess } from './access';
import { checkMayDeploy, columns, joined, recordDeploymentEvent, toDeployment } from './deployments';
import { namedEnvironment } from './environments';
import { findReleaseId } from './releases';

/** The release of `repoId` that `to` names, for the body of a rollback: unknown is a 422 on /body/to. */
async function targetRelease(db: Queryable, repoId: string, to: string): Promise<string> {
  try {
    return await findReleaseId(db, repoId, to);
  } catch (err) {
    if (!(err instanceof NotFound)) throw err;
    throw new Unprocessable(`Release ${to} does not exist in this repo.`, [
      { path: '/body/to', message: `release ${to} does not exist in this repo` },
    ]);
  }
}

/**
 * Rolls an environment of the repo's org back, in one transaction: records a successful deployment of kind
 * rollback that replaces the current one (the repo's newest successful deployment there), of release `to` or else
 * of the newest other release that succeeded there before the current one. The deploy rule applies (protected
 * environments need a release manager); the promotion rule and approvals do not (docs/api.md, Rollback). 409 when
 * nothing runs there, or nothing else ran there before. Rollbacks of one repo in one environment are serialised,
 * so each replaces the deployment that was current when it ran.
 */
export async function rollback(
  db: Queryable,
  repo: RepoAccess,
  environmentRef: string,
  input: { to?: string; reason: string; userId: string },
): Promise<Deployment> {
  return db.tx(async (tx) => {
    const [environment] = await tx.query(sql`
      SELECT e.id, e.name, e.protected FROM environments e
      WHERE e.org_id = ${repo.orgId} AND ${namedEnvironment(environmentRef)}`);
    if (!environment) throw new NotFound(`Environment ${environmentRef} was not found in the org of this repo`);
    checkMayDeploy(repo.role, environment);
    await tx.query(sql`SELECT pg_advisory_xact_lock(hashtext(${`gitweave.rollback:${repo.id}:${environment.id}`}))`);
    const successIn = sql`d.repo_id = ${repo.id} AND d.environment_id = ${environment.id} AND d.status = 'success'`;
    const [current] = await tx.query(sql`
      SELECT d.id, d.release_id, d.ended_at, r.version FROM deployments d JOIN releases r ON r.id = d.release_id
      WHERE ${successIn}
      ORDER BY d.ended_at DESC NULLS LAST, d.id DESC LIMIT 1`);
    if (!current) {
      throw new Conflict(`Nothing of this repo runs in ${environment.name}, so there is nothing to roll back.`);
    }
    let releaseId: string;
    if (input.to !== undefined) {
      releaseId = await targetRelease(tx, repo.id, input.to);
      if (releaseId === current.release_id) {
        throw new Conflict(`Release ${current.version} is what runs in ${environment.name} now; roll back to another.`);
      }
      const [before] = await tx.query(sql`
        SELECT 1 FROM deployments d WHERE ${successIn} AND d.release_id = ${releaseId} LIMIT 1`);
      if (!before) {
        throw new Conflict(
          `Release ${input.to} has never succeeded in ${environment.name}, so it cannot be rolled back to: name a release that ran there before.`,
        );
      }
    } else {
      const [previous] = await tx.query(sql`
        SELECT d.release_id FROM deployments d
        WHERE ${successIn} AND d.release_id <> ${current.release_id}
          AND (d.ended_at < ${current.ended_at} OR (d.ended_at = ${current.ended_at} AND d.id < ${current.id}))
        ORDER BY d.ended_at DESC NULLS LAST, d.id DESC LIMIT 1`);
      if (!previous) {
        throw new Conflict(
          `No release other than ${current.version} has succeeded in ${environment.name} before it, so there is nothing to roll back to.`,
        );
      }
      releaseId = previous.release_id;
    }
    const [{ id }] = (await tx.query(sql`
      INSERT INTO deployments (release_id, environment_id, status, requested_status, kind, rollback_of, reason,
                               started_at, ended_at, deployed_by)
      VALUES (${releaseId}, ${environment.id}, 'success', 'success', 'rollback', ${current.id}, ${input.reason},
              now(), now(), ${input.userId})
      RETURNING id`)) as [{ id: string }];
    await recordDeploymentEvent(tx, 'deployment.rolled_back', id, input.userId);
    const [row] = await tx.query(sql`SELECT ${columns} FROM ${joined} WHERE d.id = ${id}`);
    return toDeployment(row);
  });
}
