import type { EventType as SchemaEventType } from '../../schemas/events';
import { type Queryable, sql } from '../infra/db';

export type EventType = SchemaEventType;

/**
 * The channel every recorded event NOTIFYs at the commit of its transaction; the payload names the feeds it is in:
 * `<org id>` for an event of the org alone (an environment's), `<org id> <repo id>` for a repo's.
 */
export const EVENTS_CHANNEL = 'gitweave_events';

/**
 * Records an event in the transaction `tx` of the change it describes, and NOTIFYs `gitweave_events` with the org
 * id and the repo id if any (Postgres delivers it at commit, and never if the transaction rolls back). `resource` is the resource exactly
 * as the API returns it.
 */
export async function recordEvent(
  tx: Queryable,
  e: { type: EventType; orgId: string; repoId: string | null; actorId: string; resource: unknown },
): Promise<void> {
  await tx.query(sql`
    WITH recorded AS (
      INSERT INTO events (type, org_id, repo_id, actor_id, resource)
      VALUES (${e.type}, ${e.orgId}, ${e.repoId}, ${e.actorId}, ${JSON.stringify(e.resource)}::jsonb)
      RETURNING org_id, repo_id
    )
    SELECT pg_notify(${EVENTS_CHANNEL}, concat_ws(' ', org_id, repo_id)) FROM recorded
  `);
}

/** recordEvent for a change in repo `repoId`: the org is the repo's (found in the same statement). */
export async function recordRepoEvent(
  tx: Queryable,
  e: { type: EventType; repoId: string; actorId: string; resource: unknown },
): Promise<void> {
  await tx.query(sql`
    WITH recorded AS (
      INSERT INTO events (type, org_id, repo_id, actor_id, resource)
      SELECT ${e.type}, r.org_id, r.id, ${e.actorId}, ${JSON.stringify(e.resource)}::jsonb FROM repos r
      WHERE r.id = ${e.repoId}
      RETURNING org_id, repo_id
    )
    SELECT pg_notify(${EVENTS_CHANNEL}, concat_ws(' ', org_id, repo_id)) FROM recorded
  `);
}
