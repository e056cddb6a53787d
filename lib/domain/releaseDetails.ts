import type { SQLQuery } from '@databases/pg';
import type { Release } from '../../schemas/releases';
import { decodeTimeCursor, encodeTimeCursor, keysetPage } from '../infra/cursor';
import { type Queryable, type Row, sql } from '../infra/db';
import { isoTime } from '../infra/time';

/** How many of a release's deployments its detail view carries; the deployment list pages through all. */
const RELEASE_DEPLOYMENTS_SHOWN = 20;

/**
 * The SELECT of releases with their artifacts (and label on the release, where one was given), and with their newest
 * deployments where `deploymentsOf` names whose (else none: a list of releases leaves them out).
 */
export function releaseSelect(where: SQLQuery, deploymentsOf: SQLQuery | null): SQLQuery {
  const deployments = deploymentsOf
    ? sql`COALESCE((
        SELECT json_agg(json_build_object(
          'id', d.id, 'environment', json_build_object('id', e.id, 'name', e.name), 'status', d.status,
          'startedAt', d.started_at, 'endedAt', d.ended_at,
          'deployedBy', json_build_object('id', d.deployed_by, 'name', du.name)) ORDER BY d.started_at DESC, d.id DESC)
        FROM (SELECT * FROM deployments WHERE release_id = ${deploymentsOf} ORDER BY started_at DESC, id DESC
              LIMIT ${RELEASE_DEPLOYMENTS_SHOWN}) d
        JOIN environments e ON e.id = d.environment_id
        JOIN users du ON du.id = d.deployed_by), '[]')`
    : sql`'[]'::json`;
  return sql`
    SELECT r.id, r.repo_id, r.version, COALESCE(r.title, r.version) AS title, r.notes, r.commit, r.notes_range, r.created_by, cu.name AS created_by_name, r.created_at,
      r.draft, CASE WHEN NOT r.draft THEN COALESCE(r.published_at, r.created_at) END AS published_at,
      COALESCE((
        SELECT json_agg(json_build_object(
          'id', a.id, 'repoId', a.repo_id, 'name', a.name, 'path', a.path, 'sizeBytes', a.size_bytes,
          'sha256', a.sha256, 'contentType', a.content_type, 'createdAt', a.created_at, 'label', ra.label)
          ORDER BY a.name, a.id)
        FROM release_artifacts ra JOIN artifacts a ON a.id = ra.artifact_id
        WHERE ra.release_id = r.id), '[]') AS artifacts,
      ${deployments} AS deployments,
      COALESCE((SELECT c.deployments FROM release_deployment_counts c WHERE c.release_id = r.id), 0) AS deployment_count
    FROM releases r JOIN users cu ON cu.id = r.created_by
    WHERE ${where}`;
}

export function toRelease(row: Row): Release {
  return {
    id: row.id,
    repoId: row.repo_id,
    version: row.version,
    title: row.title,
    notes: row.notes,
    commit: row.commit,
    notesRange: row.notes_range,
    createdBy: { id: row.created_by, name: row.created_by_name },
    createdAt: isoTime(row.created_at),
    draft: row.draft,
    publishedAt: row.published_at === null ? null : isoTime(row.published_at),
    artifacts: row.artifacts.map(({ label, ...a }: Record<string, unknown>) => ({
      ...a,
      ...(label !== null && { label }),
      createdAt: isoTime(a.createdAt),
    })),
    deployments: row.deployments.map((d: Record<string, unknown>) => ({
      ...d,
      startedAt: isoTime(d.startedAt),
      endedAt: d.endedAt === null ? null : isoTime(d.endedAt),
    })),
    deploymentCount: row.deployment_count,
  } as Release;
}

/**
 * One page of a repo's releases with their artifacts, newest first, without their deployments (`deployments` is
 * empty; `deploymentCount` counts them), and how many releases the repo has. The page starts after `cursor`, or
 * `offset` releases in (for clients that page by number: an offset skips index entries, not built rows). Drafts are
 * left out unless `drafts` (the caller may create releases).
 */
export async function listReleaseDetails(
  db: Queryable,
  repoId: string,
  page: { limit: number; cursor?: string; offset?: number; drafts?: boolean },
): Promise<{ items: Release[]; nextCursor: string | null; total: number }> {
  const after = page.cursor ? decodeTimeCursor('releases', page.cursor) : null;
  const published = page.drafts ? sql`` : sql`AND NOT r.draft`;
  const [rows, [count]] = await Promise.all([
    db.query(sql`
      WITH page AS (
        SELECT id, created_at FROM releases r
        WHERE r.repo_id = ${repoId} ${published}
          ${after ? sql`AND (r.created_at, r.id) < (${after.at}, ${after.id})` : sql``}
        ORDER BY r.created_at DESC, r.id DESC
        LIMIT ${page.limit + 1} OFFSET ${after ? 0 : (page.offset ?? 0)})
      ${releaseSelect(sql`r.id IN (SELECT id FROM page)`, null)}
      ORDER BY r.created_at DESC, r.id DESC`),
    db.query(sql`SELECT count(*)::int AS n FROM releases r WHERE r.repo_id = ${repoId} ${published}`),
  ]);
  const { items, nextCursor } = keysetPage(rows, page.limit, toRelease, (last) =>
    encodeTimeCursor('releases', { at: last.created_at, id: last.id }),
  );
  return { items, nextCursor, total: count.n };
}
