import type { SQLQuery } from '@databases/pg';
import { decodeTimeCursor, encodeTimeCursor, keysetPage } from '../infra/cursor';
import type { Queryable, Row } from '../infra/db';
import { sql } from '../infra/db';
import { BadRequest, Conflict, NotFound, Unprocessable } from '../infra/errors';
import { isoTime } from '../infra/time';
import type { RepoAccess } from './access';
import { uploadArtifact } from './artifacts';
import type { User } from './identity';
import { createRelease } from './releases';
import { normalizeVersion } from './versions';

/**
 * The GitHub-compatible surface's view of releases and assets: the same tables and rules as the native API, read
 * and written by GitHub's integer ids (migration 0013), paged by page number as GitHub pages.
 */

/** A repo named as GitHub names it, `{owner}/{repo}` = org slug / repo name, with the names a URL needs. */
export interface GithubRepo extends RepoAccess {
  owner: string;
  name: string;
}

/** The repo `owner/name`, for a member of its org; to anyone else it does not exist (GitHub's 404). */
export async function repoByName(
  db: Queryable,
  owner: string,
  name: string,
  user: Pick<User, 'id'>,
): Promise<GithubRepo> {
  const [row] = await db.query(sql`
    SELECT r.id, r.org_id AS "orgId", m.role, o.slug AS owner, r.name
    FROM orgs o JOIN repos r ON r.org_id = o.id
    JOIN memberships m ON m.org_id = o.id AND m.user_id = ${user.id}
    WHERE o.slug = ${owner} AND r.name = ${name}`);
  if (!row) throw new NotFound('Not Found');
  return row as GithubRepo;
}

/** One page of a GitHub list: 1-based `page`, `per_page` at most 100 (GitHub reads more as 100). */
export interface GithubPage {
  page: number;
  perPage: number;
  /** a keyset position from a `next` link: the page starts after it, whatever `page` says */
  cursor?: string;
}

export function githubPage(query: { page?: number; per_page?: number; cursor?: string }): GithubPage {
  return { page: query.page ?? 1, perPage: Math.min(query.per_page ?? 30, 100), cursor: query.cursor };
}

/**
 * Where a page of a newest-first list starts: after the keyset position of `page.cursor` when there is one (a page
 * then costs the same however far it is), else at the offset its number gives (GitHub's own paging).
 */
export function pageStart(page: GithubPage, after: (cursor: string) => SQLQuery): { where: SQLQuery; offset: number } {
  if (page.cursor) return { where: after(page.cursor), offset: 0 };
  return { where: sql`true`, offset: (page.page - 1) * page.perPage };
}

export interface GithubUser {
  githubId: number;
  name: string;
}

export interface GithubAsset {
  githubId: number;
  id: string;
  repoId: string;
  name: string;
  label: string;
  contentType: string;
  size: number;
  sha256: string;
  createdAt: string;
}

export interface GithubRelease {
  githubId: number;
  id: string;
  repoId: string;
  version: string;
  notes: string;
  commit: string | null;
  prerelease: boolean;
  createdAt: string;
  author: GithubUser;
  assets: GithubAsset[];
}

const assetColumns = sql`
  a.github_id, a.id, a.repo_id, a.name, COALESCE(ra.label, '') AS label, a.content_type, a.size_bytes, a.sha256,
  a.created_at`;

function toAsset(row: Row): GithubAsset {
  return {
    githubId: Number(row.github_id),
    id: row.id,
    repoId: row.repo_id,
    name: row.name,
    label: row.label,
    contentType: row.content_type,
    size: Number(row.size_bytes),
    sha256: row.sha256,
    createdAt: isoTime(row.created_at),
  };
}

const releaseColumns = sql`
  r.github_id, r.id, r.repo_id, r.version, r.notes, r.commit, r.prerelease, r.created_at,
  u.github_id AS author_github_id, u.name AS author_name,
  COALESCE((
    SELECT json_agg(json_build_object(
      'github_id', a.github_id, 'id', a.id, 'repo_id', a.repo_id, 'name', a.name, 'label', COALESCE(ra.label, ''),
      'content_type', a.content_type, 'size_bytes', a.size_bytes, 'sha256', a.sha256, 'created_at', a.created_at)
      ORDER BY a.github_id)
    FROM release_artifacts ra JOIN artifacts a ON a.id = ra.artifact_id
    WHERE ra.release_id = r.id), '[]') AS assets`;

function toRelease(row: Row): GithubRelease {
  return {
    githubId: Number(row.github_id),
    id: row.id,
    repoId: row.repo_id,
    version: row.version,
    notes: row.notes,
    commit: row.commit,
    prerelease: row.prerelease,
    createdAt: isoTime(row.created_at),
    author: { githubId: Number(row.author_github_id), name: row.author_name },
    assets: row.assets.map(toAsset),
  };
}

/** The release of `repoId` with GitHub id `githubId`, or with tag `tag` (a leading v or not), or NotFound. */
export async function githubRelease(
  db: Queryable,
  repoId: string,
  ref: { githubId: number } | { tag: string },
): Promise<GithubRelease> {
  let matches = sql`false`;
  if ('githubId' in ref) matches = sql`r.github_id = ${ref.githubId}`;
  else {
    const version = normalizeVersion(ref.tag);
    if (version !== null) matches = sql`r.version = ${version}`;
  }
  const [row] = await db.query(sql`
    SELECT ${releaseColumns} FROM releases r JOIN users u ON u.id = r.created_by
    WHERE r.repo_id = ${repoId} AND ${matches}`);
  if (!row) throw new NotFound('Not Found');
  return toRelease(row);
}

/** GitHub's latest release: here the highest SemVer precedence that is not a pre-release (as the native API). */
export async function latestGithubRelease(db: Queryable, repoId: string): Promise<GithubRelease> {
  const [row] = await db.query(sql`
    SELECT ${releaseColumns} FROM releases r JOIN users u ON u.id = r.created_by
    WHERE r.repo_id = ${repoId} AND NOT r.prerelease
    ORDER BY r.version_key DESC, r.id DESC
    LIMIT 1`);
  if (!row) throw new NotFound('Not Found');
  return toRelease(row);
}

/**
 * One page of a repo's releases, newest first (as GitHub lists them), how many there are in all, and the keyset
 * position its `next` link resumes from.
 */
export async function listGithubReleases(
  db: Queryable,
  repoId: string,
  page: GithubPage,
): Promise<{ items: GithubRelease[]; total: number; nextCursor: string | null }> {
  const start = pageStart(page, (cursor) => {
    const after = decodeTimeCursor('github-releases', cursor);
    return sql`(r.created_at, r.id) < (${after.at}, ${after.id})`;
  });
  const [rows, [count]] = await Promise.all([
    // the page's rows first, then their authors and assets: an offset skips index entries, not built rows
    db.query(sql`
      SELECT ${releaseColumns}
      FROM (SELECT * FROM releases r
            WHERE r.repo_id = ${repoId} AND ${start.where}
            ORDER BY r.created_at DESC, r.id DESC
            LIMIT ${page.perPage + 1} OFFSET ${start.offset}) r
      JOIN users u ON u.id = r.created_by
      ORDER BY r.created_at DESC, r.id DESC`),
    db.query(sql`SELECT count(*)::int AS n FROM releases WHERE repo_id = ${repoId}`),
  ]);
  const { items, nextCursor } = keysetPage(rows, page.perPage, toRelease, (last) =>
    encodeTimeCursor('github-releases', { at: last.created_at, id: last.id }),
  );
  return { items, total: count.n, nextCursor };
}

/** 422 naming the field of a GitHub request that cannot be honoured here, and why. */
function cannotHonour(field: string, why: string): Unprocessable {
  return new Unprocessable(`${field}: ${why}`, [{ path: `/body/${field}`, message: why }]);
}

/**
 * Creates a release from GitHub's fields, with the native rules (SemVer, notes limit, one version per repo), in one
 * transaction. What GitHub's request asks and this model cannot give is a 422 that says so: a draft, a name or a
 * prerelease flag that contradicts the tag, discussions, generated notes, a chosen "latest".
 */
export async function createGithubRelease(
  db: Queryable,
  repo: RepoAccess,
  userId: string,
  input: {
    tag_name: string;
    target_commitish?: string;
    name?: string | null;
    body?: string | null;
    draft?: boolean;
    prerelease?: boolean;
    discussion_category_name?: string;
    generate_release_notes?: boolean;
    make_latest?: 'true' | 'false' | 'legacy';
  },
): Promise<GithubRelease> {
  const version = normalizeVersion(input.tag_name);
  if (version === null) {
    throw cannotHonour('tag_name', `"${input.tag_name}" is not a SemVer 2.0.0 version (with or without a leading v)`);
  }
  const prerelease = version.replace(/\+.*$/, '').includes('-');
  if (input.prerelease !== undefined && input.prerelease !== prerelease) {
    throw cannotHonour(
      'prerelease',
      `${input.prerelease} contradicts the version ${version}, which ${prerelease ? 'is' : 'is not'} a pre-release`,
    );
  }
  if (input.name && input.name !== input.tag_name && normalizeVersion(input.name) !== version) {
    throw cannotHonour('name', `a release is named by its version here: give "${input.tag_name}" or leave it out`);
  }
  if (input.draft) {
    throw cannotHonour(
      'draft',
      'there are no draft releases here: a release is published when it is created (its assets can be added until its first deployment)',
    );
  }
  if (input.discussion_category_name !== undefined) {
    throw cannotHonour('discussion_category_name', 'releases have no discussions here');
  }
  if (input.generate_release_notes) {
    throw cannotHonour('generate_release_notes', 'release notes are not generated here: send them as body');
  }
  if (input.make_latest !== undefined && input.make_latest !== 'legacy') {
    throw cannotHonour(
      'make_latest',
      'the latest release is always the highest SemVer version that is not a pre-release',
    );
  }
  return db.tx(async (tx) => {
    let created: { id: string };
    try {
      created = await createRelease(tx, { repoId: repo.id, createdBy: userId, version, notes: input.body ?? '' });
    } catch (err) {
      if (err instanceof Conflict) {
        throw new Unprocessable(`A release with tag ${input.tag_name} already exists in this repo.`, [
          { path: '/body/tag_name', message: 'already exists' },
        ]);
      }
      if (err instanceof BadRequest) {
        throw new Unprocessable(
          err.message.replace('/notes', 'body'),
          err.errors?.map((e) => ({ ...e, path: e.path.replace('/body/notes', '/body/body') })),
        );
      }
      throw err;
    }
    if (input.target_commitish !== undefined) {
      await tx.query(sql`UPDATE releases SET commit = ${input.target_commitish} WHERE id = ${created.id}`);
    }
    const [row] = await tx.query(sql`SELECT github_id FROM releases WHERE id = ${created.id}`);
    return githubRelease(tx, repo.id, { githubId: Number(row.github_id) });
  });
}

/** The media type of an upload as GitHub records it (parameters dropped), or octet-stream for none or a bad one. */
function assetContentType(contentType: string | undefined): string {
  const type = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  return /^[\w.+-]+\/[\w.+-]+$/.test(type) && type.length <= 255 ? type : 'application/octet-stream';
}

/**
 * Adds an uploaded file to release `releaseGithubId` of `repo` as a new asset, all or nothing: the release's row is
 * locked first, so two uploads (or an upload and a first deployment) are applied one after the other. Assets are
 * added, never replaced: a name already on the release is a 422, as on GitHub. A release's assets are fixed once it
 * has been deployed (what ran is what the release holds), so an upload after that is a 422 too.
 */
export async function addReleaseAsset(
  db: Queryable,
  repo: RepoAccess,
  releaseGithubId: number,
  input: { name: string; label?: string; contentType?: string },
  bytes: Buffer,
): Promise<GithubAsset> {
  return db.tx(async (tx) => {
    // the lock waits for a deployment of the release being written (its foreign key holds the row), and the
    // statement after it reads what that deployment committed
    const [release] = await tx.query(sql`
      SELECT id, version FROM releases
      WHERE repo_id = ${repo.id} AND github_id = ${releaseGithubId}
      FOR UPDATE`);
    if (!release) throw new NotFound('Not Found');
    const [deployed] = await tx.query(sql`SELECT 1 FROM deployments WHERE release_id = ${release.id} LIMIT 1`);
    if (deployed) {
      throw new Unprocessable(
        `Release ${release.version} has been deployed, so its assets are fixed: publish a new release to ship other files.`,
        [{ path: '/query/name', message: 'the release has been deployed; its assets are fixed' }],
      );
    }
    const [taken] = await tx.query(sql`
      SELECT 1 FROM release_artifacts ra JOIN artifacts a ON a.id = ra.artifact_id
      WHERE ra.release_id = ${release.id} AND a.name = ${input.name}`);
    if (taken) {
      throw new Unprocessable(`Release ${release.version} already has an asset named ${input.name}.`, [
        { path: '/query/name', message: 'already exists' },
      ]);
    }
    const artifact = await uploadArtifact(
      tx,
      repo.id,
      { name: input.name, contentType: assetContentType(input.contentType) },
      bytes,
    );
    await tx.query(sql`
      INSERT INTO release_artifacts (release_id, artifact_id, label)
      VALUES (${release.id}, ${artifact.id}, ${input.label || null})`);
    return githubAsset(tx, repo.id, { artifactId: artifact.id });
  });
}

/** An asset of a release of `repoId` by its GitHub id (or its artifact's id), or NotFound. */
export async function githubAsset(
  db: Queryable,
  repoId: string,
  ref: { githubId: number } | { artifactId: string },
): Promise<GithubAsset> {
  const matches = 'githubId' in ref ? sql`a.github_id = ${ref.githubId}` : sql`a.id = ${ref.artifactId}`;
  const [row] = await db.query(sql`
    SELECT ${assetColumns}
    FROM artifacts a JOIN release_artifacts ra ON ra.artifact_id = a.id
    WHERE a.repo_id = ${repoId} AND ${matches}
    LIMIT 1`);
  if (!row) throw new NotFound('Not Found');
  return toAsset(row);
}

/** One page of the assets of release `releaseGithubId`, oldest first (as GitHub lists them), and their count. */
export async function listReleaseAssets(
  db: Queryable,
  repoId: string,
  releaseGithubId: number,
  page: GithubPage,
): Promise<{ items: GithubAsset[]; total: number }> {
  const release = await githubRelease(db, repoId, { githubId: releaseGithubId });
  const start = (page.page - 1) * page.perPage;
  return { items: release.assets.slice(start, start + page.perPage), total: release.assets.length };
}
