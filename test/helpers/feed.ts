import { setTimeout as sleep } from 'node:timers/promises';
import { type ConnectionPool, sql } from '@databases/pg';
import type { PublicEvent } from '../../schemas/events';

/**
 * Waits until every transaction that had started when it was called has ended, in the whole cluster. The feed
 * returns an event only once no older transaction is in flight (it could still write before it), and other test
 * files (or other databases on the same server) write too: a test that reads what it has just committed waits here
 * first, so that a stranger's open transaction cannot make it read too little.
 */
export async function feedSettled(pool: ConnectionPool): Promise<void> {
  const [{ xmax }] = await pool.query(sql`SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xmax`);
  for (;;) {
    const [{ done }] = await pool.query(sql`SELECT pg_snapshot_xmin(pg_current_snapshot()) >= ${xmax}::xid8 AS done`);
    if (done) return;
    await sleep(20);
  }
}

/**
 * Event `id` as the feed and webhooks should carry it, made here from the rows as they are now (the event, its org,
 * repo and actor), independently of the rendering Postgres stores when the event is written (migration 0019).
 */
export async function eventFromRows(pool: ConnectionPool, id: string): Promise<PublicEvent | undefined> {
  const [row] = await pool.query(sql`
    SELECT ev.id, ev.type, ev.occurred_at, ev.actor_id, u.name AS actor_name, ev.org_id, o.slug AS org_slug,
           ev.repo_id, r.name AS repo_name, ev.resource
    FROM events ev JOIN orgs o ON o.id = ev.org_id LEFT JOIN repos r ON r.id = ev.repo_id
    LEFT JOIN users u ON u.id = ev.actor_id
    WHERE ev.id = ${id}`);
  if (!row) return undefined;
  return {
    id: row.id,
    type: row.type,
    occurredAt: (row.occurred_at as Date).toISOString(),
    actor: row.actor_id === null ? null : { id: row.actor_id, name: row.actor_name },
    org: { id: row.org_id, slug: row.org_slug },
    repo: row.repo_id === null ? null : { id: row.repo_id, name: row.repo_name },
    resource: row.resource,
  };
}
