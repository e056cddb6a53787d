import type { PublicEvent, EventType as SchemaEventType } from '../../schemas/events';
import { type Queryable, type Row, sql } from '../infra/db';
import { isoTime } from '../infra/time';

export type EventType = SchemaEventType;

/** The channel every recorded event NOTIFYs (payload: the org id), at the commit of its transaction. */
export const EVENTS_CHANNEL = 'gitweave_events';

/**
 * Records an event in the transaction `tx` of the change it describes, and NOTIFYs `gitweave_events` with the org
 * id (Postgres delivers it at commit, and never if the transaction rolls back). `resource` is the resource exactly
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
      RETURNING org_id
    )
    SELECT pg_notify(${EVENTS_CHANNEL}, org_id::text) FROM recorded
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
      RETURNING org_id
    )
    SELECT pg_notify(${EVENTS_CHANNEL}, org_id::text) FROM recorded
  `);
}

/**
 * The columns `publicEvent` renders, from `events ev` joined to its org, repo and actor: use as
 * `SELECT ${PUBLIC_EVENT_COLUMNS} FROM ${PUBLIC_EVENT_SOURCE} WHERE …`. `ev.txid` and `ev.seq` are selected too
 * (as text and number), for cursors.
 */
export const PUBLIC_EVENT_COLUMNS = sql`
  ev.seq, ev.txid::text AS txid, ev.id, ev.type, ev.occurred_at, ev.actor_id, u.name AS actor_name,
  ev.org_id, o.slug AS org_slug, ev.repo_id, r.name AS repo_name, ev.resource`;

export const PUBLIC_EVENT_SOURCE = sql`
  events ev
  JOIN orgs o ON o.id = ev.org_id
  LEFT JOIN repos r ON r.id = ev.repo_id
  LEFT JOIN users u ON u.id = ev.actor_id`;

/** An event row (selected with PUBLIC_EVENT_COLUMNS) as a feed reader or a webhook receives it. */
export function publicEvent(row: Row): PublicEvent {
  return {
    id: row.id,
    type: row.type,
    occurredAt: isoTime(row.occurred_at),
    actor: row.actor_id === null ? null : { id: row.actor_id, name: row.actor_name },
    org: { id: row.org_id, slug: row.org_slug },
    repo: row.repo_id === null ? null : { id: row.repo_id, name: row.repo_name },
    resource: row.resource,
  };
}

/** The event `id` as a reader receives it, or undefined. */
export async function getPublicEvent(db: Queryable, id: string): Promise<PublicEvent | undefined> {
  const [row] = await db.query(sql`SELECT ${PUBLIC_EVENT_COLUMNS} FROM ${PUBLIC_EVENT_SOURCE} WHERE ev.id = ${id}`);
  return row ? publicEvent(row) : undefined;
}
