import type { SQLQuery } from '@databases/pg';
import type { NotesRange } from '../../schemas/releaseNotes';
import type { Release, ReleaseSummary } from '../../schemas/releases';
import { config } from '../infra/config';
import {
  decodeCursor,
  decodeTimeCursor,
  encodeCursor,
  encodeTimeCursor,
  invalidCursor,
  keysetPage,
} from '../infra/cursor';
import { isUniqueViolation, type Queryable, sql } from '../infra/db';
import { BadRequest, Conflict, NotFound } from '../infra/errors';
import { isUuid } from '../infra/ids';
import { isoTime } from '../infra/time';
import { recordRepoEvent } from './events';
import { checkRefShape, commitIn, findGitDir, gitDirOf } from './gitRepos';
import { releaseSelect, toRelease } from './releaseDetails';
import { checkNotesLength, linkArtifacts } from './releaseLinks';
import { draftReleaseNotes, fitNotes } from './releaseNotes';
import { type Comparator, normalizeVersion, parseRange } from './versions';

/**
 * How to find the release a path names: by its id, or by its version (a leading `v` is ignored). NotFound when
 * `ref` is neither, so no query runs for it.
 */
export function releaseRef(ref: string): { byId: boolean; matches: SQLQuery } {
  if (isUuid(ref)) return { byId: true, matches: sql`r.id = ${ref}` };
  const version = normalizeVersion(ref);
  if (version === null) throw new NotFound(`Release ${ref} was not found in this repo`);
  return { byId: false, matches: sql`r.version = ${version}` };
}

/** Whether a caller sees drafts: `drafts` false hides them, as releases that do not exist. */
export interface Visibility {
  drafts: boolean;
}

const visible = (seen: Visibility) => (seen.drafts ? sql`` : sql`AND NOT r.draft`);

/** The id of the release of `repoId` named by its id or its version, or NotFound. */
export async function findReleaseId(
  db: Queryable,
  repoId: string,
  ref: string,
  seen: Visibility = { drafts: true },
): Promise<string> {
  const [row] = await db.query(
    sql`SELECT r.id FROM releases r WHERE r.repo_id = ${repoId} AND ${releaseRef(ref).matches} ${visible(seen)}`,
  );
  if (!row) throw new NotFound(`Release ${ref} was not found in this repo`);
  return row.id;
}

/**
 * A release of `repoId`, named by its id or its version (a leading `v` is ignored), with its artifacts, its
 * newest deployments and their count, or NotFound (a draft too, for a caller who does not see drafts). One query.
 */
export async function getRelease(
  db: Queryable,
  repoId: string,
  ref: string,
  seen: Visibility = { drafts: true },
): Promise<Release> {
  const named = releaseRef(ref);
  // With the id bound as a value, Postgres plans the newest-deployments lookup from that release's statistics (kept
  // by migration 0008): an index scan that stops after 20 rows. Correlated to r.id it assumes ~10 rows per release
  // and sorts them all, which cost 2.8x the p50 for a release with 10,000 deployments.
  const deploymentsOf = named.byId ? sql`${ref}::uuid` : sql`r.id`;
  const where = sql`r.repo_id = ${repoId} AND ${named.matches} ${visible(seen)}`;
  const [row] = await db.query(releaseSelect(where, deploymentsOf));
  if (!row) throw new NotFound(`Release ${ref} was not found in this repo`);
  return toRelease(row);
}

/**
 * The commit a new release names, as the repo's history knows it (a full id), or as given when the repo has no git
 * repository; with `generateNotes`, also the notes from the history since the previous release and their range.
 * Reads git before any transaction opens.
 */
export async function releaseHistory(
  db: Queryable,
  input: { repoId: string; version: string; commit?: string; generateNotes?: boolean },
): Promise<{ commit: string | null; generated: string | null; range: NotesRange | null }> {
  if (input.generateNotes) {
    if (input.commit === undefined) {
      throw new BadRequest('generateNotes needs the commit the release is built from: give commit.', [
        { path: '/body/commit', message: 'is required when generateNotes is true' },
      ]);
    }
    const drafted = await draftReleaseNotes(db, input.repoId, { commit: input.commit, version: input.version });
    return { commit: drafted.range.to, generated: drafted.notes, range: drafted.range };
  }
  if (input.commit === undefined) return { commit: null, generated: null, range: null };
  const lookup = await findGitDir(db, input.repoId);
  // a directory an admin named must be there; a repo without one keeps the commit as given (checked for shape)
  const gitDir = lookup.found ? lookup.dir : lookup.configured ? await gitDirOf(db, input.repoId) : null;
  if (gitDir !== null)
    return { commit: await commitIn(gitDir, input.commit, '/body/commit'), generated: null, range: null };
  checkRefShape(input.commit, '/body/commit');
  return { commit: input.commit, generated: null, range: null };
}

/**
 * Publishes a release of `repoId` (or, with `draft`, keeps it a draft) with its artifact links, all in one
 * transaction. A version already released (or reserved by a draft) in the repo is a 409, decided by the unique
 * constraint; bad artifact ids are a 422 naming each. A commit is checked against the repo's history when it has
 * one; `generateNotes` fills notes that are not given (cut to RELEASE_NOTES_MAX_LEN) and records the range they
 * cover.
 */
export async function createRelease(
  db: Queryable,
  input: {
    repoId: string;
    createdBy: string;
    version: string;
    title?: string;
    notes?: string;
    commit?: string;
    generateNotes?: boolean;
    artifactIds?: string[];
    draft?: boolean;
  },
): Promise<Release> {
  const version = normalizeVersion(input.version);
  if (version === null) {
    throw new BadRequest(`"${input.version}" is not a SemVer 2.0.0 version.`, [
      { path: '/body/version', message: 'must be SemVer 2.0.0' },
    ]);
  }
  checkNotesLength(input.notes);
  const notesMax = config().releaseNotesMaxLen;
  const history = await releaseHistory(db, { ...input, version });
  const notes = input.notes ?? (history.generated === null ? '' : fitNotes(history.generated, notesMax));
  const artifactIds = input.artifactIds ?? [];
  const draft = input.draft ?? false;
  return db.tx(async (tx) => {
    let id: string;
    try {
      [{ id }] = (await tx.query(sql`
        INSERT INTO releases (repo_id, version, title, notes, commit, notes_range, created_by, draft)
        VALUES (${input.repoId}, ${version}, ${input.title ?? null}, ${notes}, ${history.commit},
                ${history.range === null ? null : JSON.stringify(history.range)}::jsonb, ${input.createdBy}, ${draft})
        RETURNING id`)) as [{ id: string }];
    } catch (err) {
      if (isUniqueViolation(err, 'releases_repo_version')) {
        throw new Conflict(`Version ${version} has already been released in this repo.`);
      }
      throw err;
    }
    await linkArtifacts(tx, input.repoId, id, artifactIds);
    const release = await getRelease(tx, input.repoId, id);
    await recordRepoEvent(tx, {
      type: 'release.created',
      repoId: input.repoId,
      actorId: input.createdBy,
      resource: release,
    });
    return release;
  });
}

const OPERATORS = { '': sql`=`, '=': sql`=`, '<': sql`<`, '<=': sql`<=`, '>': sql`>`, '>=': sql`>=` } as const;

/**
 * SQL that holds for the releases an npm range matches, with npm's rule for pre-releases: a pre-release matches
 * only a comparator set that names a pre-release of the same major.minor.patch.
 */
export function rangeCondition(sets: Comparator[][]): SQLQuery {
  const alternatives = sets.map((set) => {
    const conditions = set.map(
      (comparator) => sql`r.version_key ${OPERATORS[comparator.operator]} semver_sort_key(${comparator.version})`,
    );
    const cores = set.flatMap((comparator) => (comparator.prereleaseCore ? [comparator.prereleaseCore] : []));
    conditions.push(
      cores.length ? sql`(NOT r.prerelease OR r.version_core = ANY(${cores}::text[]))` : sql`NOT r.prerelease`,
    );
    return sql`(${sql.join(conditions, sql` AND `)})`;
  });
  return sql`(${sql.join(alternatives, sql` OR `)})`;
}

export interface ReleaseQuery {
  limit: number;
  cursor?: string;
  /** created: newest first (default); version: highest SemVer precedence first */
  sort?: 'created' | 'version';
  /** true: only pre-releases; false: no pre-releases; absent: both */
  prerelease?: boolean;
  /** an npm range the version must satisfy */
  version?: string;
  /** true: drafts are listed too (the caller may create releases) */
  drafts?: boolean;
}

/** What semver_sort_key (migrations/0003) can return: SemVer characters and its separators . ~ - ! */
const VERSION_KEY = /^[0-9A-Za-z.~!-]{1,1024}$/;

/** One page of a repo's releases, newest first or by SemVer precedence, optionally filtered. */
export async function listReleases(
  db: Queryable,
  repoId: string,
  query: ReleaseQuery,
): Promise<{ items: ReleaseSummary[]; nextCursor: string | null }> {
  const conditions = [sql`r.repo_id = ${repoId}`];
  if (!query.drafts) conditions.push(sql`NOT r.draft`);
  if (query.prerelease !== undefined) conditions.push(query.prerelease ? sql`r.prerelease` : sql`NOT r.prerelease`);
  if (query.version !== undefined) {
    const sets = parseRange(query.version);
    if (sets === null) {
      throw new BadRequest(`"${query.version}" is not an npm version range (e.g. ">=1.2.0 <2.0.0", "^1.4").`, [
        { path: '/query/version', message: 'must be an npm version range' },
      ]);
    }
    conditions.push(rangeCondition(sets));
  }
  const byVersion = query.sort === 'version';
  if (query.cursor && byVersion) {
    const [key, id] = decodeCursor('releases-by-version', query.cursor, 2) as [string, string];
    if (!isUuid(id) || !VERSION_KEY.test(key)) throw invalidCursor();
    conditions.push(sql`(r.version_key, r.id) < (${key}, ${id})`);
  } else if (query.cursor) {
    const after = decodeTimeCursor('releases', query.cursor);
    conditions.push(sql`(r.created_at, r.id) < (${after.at}, ${after.id})`);
  }
  const rows = await db.query(sql`
    SELECT r.id, r.version, r.created_at, r.created_by, u.name AS created_by_name, r.version_key, r.draft,
           (SELECT count(*) FROM release_artifacts ra WHERE ra.release_id = r.id)::int AS artifact_count
    FROM releases r JOIN users u ON u.id = r.created_by
    WHERE ${sql.join(conditions, sql` AND `)}
    ORDER BY ${byVersion ? sql`r.version_key DESC, r.id DESC` : sql`r.created_at DESC, r.id DESC`}
    LIMIT ${query.limit + 1}
  `);
  return keysetPage(
    rows,
    query.limit,
    (row) => ({
      id: row.id,
      version: row.version,
      createdAt: isoTime(row.created_at),
      createdBy: { id: row.created_by, name: row.created_by_name },
      artifactCount: row.artifact_count,
      draft: row.draft,
    }),
    (last) =>
      byVersion
        ? encodeCursor('releases-by-version', [last.version_key, last.id])
        : encodeTimeCursor('releases', { at: last.created_at, id: last.id }),
  );
}

/** The id of the published release of `repoId` with the highest SemVer precedence (pre-releases only when asked). */
function latestSelect(repoId: string, options: { prerelease: boolean }): SQLQuery {
  return sql`
    SELECT id FROM releases r
    WHERE r.repo_id = ${repoId} AND NOT r.draft ${options.prerelease ? sql`` : sql`AND NOT r.prerelease`}
    ORDER BY r.version_key DESC, r.id DESC
    LIMIT 1`;
}

/**
 * The id of the published release of `repoId` with the highest SemVer precedence (pre-releases only when asked), or
 * null. A draft is never the latest.
 */
export async function latestReleaseId(
  db: Queryable,
  repoId: string,
  options: { prerelease: boolean },
): Promise<string | null> {
  const [row] = await db.query(latestSelect(repoId, options));
  return row ? row.id : null;
}

/**
 * The release of `repoId` with the highest SemVer precedence (pre-releases only when asked), or NotFound. One round
 * trip: the statement that builds the release finds its id (a statement of its own costs the server and Postgres a
 * round trip more per answer).
 */
export async function getLatestRelease(
  db: Queryable,
  repoId: string,
  options: { prerelease: boolean },
): Promise<Release> {
  const latest = sql`(SELECT id FROM latest)`;
  const [row] = await db.query(sql`
    WITH latest AS (${latestSelect(repoId, options)})
    ${releaseSelect(sql`r.id = ${latest}`, latest)}`);
  if (!row) {
    throw new NotFound(
      options.prerelease ? 'This repo has no releases yet.' : 'This repo has no releases that are not pre-releases.',
    );
  }
  return toRelease(row);
}
