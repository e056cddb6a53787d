import type { SQLQuery } from '@databases/pg';
import type { Deployment, DeploymentStatus } from '../../schemas/deployments';
import { decodeTimeCursor, encodeTimeCursor, keysetPage } from '../infra/cursor';
import { type Queryable, sql } from '../infra/db';
import { isUuid } from '../infra/ids';
import type { RepoAccess } from './access';
import { columns, joined, toDeployment } from './deployments';
import { findEnvironmentId, namedEnvironment } from './environments';
import { findReleaseId } from './releases';

// A release's deployments and an environment's history, a page at a time, newest first.

export interface DeploymentQuery {
  limit: number;
  cursor?: string;
  /** an environment's id or name */
  environment?: string;
  status?: DeploymentStatus;
  /** true: the release may be a draft (the caller may create releases); else a draft is not found */
  drafts?: boolean;
}

/**
 * One page of the deployments of a release of `repoId` (named by id or version), newest first, filtered. A release
 * named by its id is looked up by the page's own statement (its join of releases), so a page with rows costs one round
 * trip; only an empty first page asks whether the release exists (a 404) or has no such deployments.
 */
export async function listDeployments(
  db: Queryable,
  repoId: string,
  release: string,
  query: DeploymentQuery,
): Promise<{ items: Deployment[]; nextCursor: string | null }> {
  const seen = { drafts: query.drafts ?? false };
  const filters: SQLQuery[] = [];
  if (query.environment !== undefined) filters.push(namedEnvironment(query.environment));
  if (query.status !== undefined) filters.push(sql`d.status = ${query.status}`);
  // with a cursor, the release is checked first, so that an unknown release is a 404 before a bad cursor is a 400
  if (isUuid(release) && query.cursor === undefined) {
    const ofRelease = [sql`d.release_id = ${release}`, sql`r.repo_id = ${repoId}`];
    if (!seen.drafts) ofRelease.push(sql`NOT r.draft`);
    const page = await deploymentPage(db, 'deployments', [...ofRelease, ...filters], query);
    if (page.items.length === 0) await findReleaseId(db, repoId, release, seen);
    return page;
  }
  const releaseId = await findReleaseId(db, repoId, release, seen);
  return deploymentPage(db, 'deployments', [sql`d.release_id = ${releaseId}`, ...filters], query);
}

/**
 * One page of the history of one environment for one repo, newest first, filtered by status and kind. Each
 * filter has an index that yields its rows in page order (migration 0011), so a page reads about `limit` rows
 * however long the history is.
 */
export async function listEnvironmentHistory(
  db: Queryable,
  repo: RepoAccess,
  environmentRef: string,
  query: { limit: number; cursor?: string; status?: DeploymentStatus; kind?: 'deploy' | 'rollback' },
): Promise<{ items: Deployment[]; nextCursor: string | null }> {
  const environmentId = await findEnvironmentId(db, repo.orgId, environmentRef);
  const conditions = [sql`d.repo_id = ${repo.id}`, sql`d.environment_id = ${environmentId}`];
  if (query.status !== undefined) conditions.push(sql`d.status = ${query.status}`);
  if (query.kind !== undefined) conditions.push(sql`d.kind = ${query.kind}`);
  return deploymentPage(db, 'environment-history', conditions, query);
}

/** One newest-first keyset page of the deployments that meet `conditions`; `ordering` tags its cursors. */
async function deploymentPage(
  db: Queryable,
  ordering: string,
  conditions: SQLQuery[],
  page: { limit: number; cursor?: string },
): Promise<{ items: Deployment[]; nextCursor: string | null }> {
  if (page.cursor) {
    const after = decodeTimeCursor(ordering, page.cursor);
    conditions.push(sql`(d.started_at, d.id) < (${after.at}, ${after.id})`);
  }
  const rows = await db.query(sql`
    SELECT ${columns}
    FROM ${joined}
    WHERE ${sql.join(conditions, sql` AND `)}
    ORDER BY d.started_at DESC, d.id DESC
    LIMIT ${page.limit + 1}
  `);
  return keysetPage(rows, page.limit, toDeployment, (last) =>
    encodeTimeCursor(ordering, { at: last.started_at, id: last.id }),
  );
}
