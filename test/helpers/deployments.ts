import { randomBytes } from 'node:crypto';
import { type ConnectionPool, sql } from '@databases/pg';
import { createRelease } from '../../lib/domain/releases';

/** The environments of an org by name (dev, stg and prod from the start), each with its id and protection. */
export async function environmentsOf(
  pool: ConnectionPool,
  orgId: string,
): Promise<Record<string, { id: string; name: string; protected: boolean }>> {
  const rows = await pool.query(sql`SELECT id, name, protected FROM environments WHERE org_id = ${orgId}`);
  return Object.fromEntries(rows.map((row) => [row.name, { id: row.id, name: row.name, protected: row.protected }]));
}

/** A release of `repoId` by `userId`, with a fresh version unless one is given. */
export async function releaseIn(pool: ConnectionPool, repoId: string, userId: string, version?: string) {
  return createRelease(pool, {
    repoId,
    createdBy: userId,
    version: version ?? `1.0.${parseInt(randomBytes(3).toString('hex'), 16)}`,
  });
}

/** How many deployments a release has, straight from the table. */
export async function deploymentCount(pool: ConnectionPool, releaseId: string): Promise<number> {
  const [row] = await pool.query(sql`SELECT count(*)::int AS n FROM deployments WHERE release_id = ${releaseId}`);
  return row!.n;
}

/**
 * Drops the promotion rules of an org (prod requires stg, from the start), for test files about something else that
 * deploy straight to prod; the rule itself is tested in test/integration/pipeline.test.ts.
 */
export async function withoutPromotionRules(pool: ConnectionPool, orgId: string): Promise<void> {
  await pool.query(sql`
    DELETE FROM environment_requirements
    WHERE environment_id IN (SELECT id FROM environments WHERE org_id = ${orgId})`);
}
