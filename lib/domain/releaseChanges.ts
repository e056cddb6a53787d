import type { Release } from '../../schemas/releases';
import { isUniqueViolation, type Queryable, sql } from '../infra/db';
import { BadRequest, Conflict, type FieldError, NotFound, Unprocessable } from '../infra/errors';
import { recordRepoEvent } from './events';
import { checkNotesLength, linkArtifacts } from './releaseLinks';
import { getRelease, releaseHistory, releaseRef } from './releases';
import { normalizeVersion } from './versions';

export interface ReleaseChanges {
  title?: string;
  notes?: string;
  version?: string;
  commit?: string;
  artifactIds?: string[];
  draft?: boolean;
}

/** The release of `repoId` that `ref` names, locked for the rest of the transaction `tx` (FOR UPDATE), or NotFound. */
async function lockRelease(
  tx: Queryable,
  repoId: string,
  ref: string,
): Promise<{ id: string; version: string; commit: string | null; draft: boolean }> {
  const [row] = await tx.query(sql`
    SELECT r.id, r.version, r.commit, r.draft FROM releases r
    WHERE r.repo_id = ${repoId} AND ${releaseRef(ref).matches} FOR UPDATE`);
  if (!row) throw new NotFound(`Release ${ref} was not found in this repo`);
  return row;
}

/** What a change asks of a published release that only a draft may change: each a 422 on its field. */
function frozenFields(
  release: { version: string; commit: string | null },
  changes: ReleaseChanges,
  version: string | undefined,
): FieldError[] {
  const fixed = (field: string, what: string) => ({
    path: `/body/${field}`,
    message: `release ${release.version} is published: its ${what} is fixed`,
  });
  const problems: FieldError[] = [];
  if (version !== undefined && version !== release.version) problems.push(fixed('version', 'version'));
  if (changes.commit !== undefined && changes.commit !== release.commit) problems.push(fixed('commit', 'commit'));
  if (changes.artifactIds !== undefined) {
    problems.push(fixed('artifactIds', 'set of artifacts (upload more until its first deployment)'));
  }
  if (changes.draft === true) problems.push(fixed('draft', 'publication: it cannot become a draft again'));
  return problems;
}

/**
 * Changes release `ref` of `repoId`, all or nothing: title and notes of any release; version, commit and artifacts
 * (replacing its set) while it is a draft; `draft: false` publishes a draft, after which it is frozen as every
 * published release is. Asking a published release for what only a draft may change is a 422 naming each field; a
 * version already taken in the repo is a 409. Records release.published when this publishes it, else
 * release.updated. The release's row is locked first, so a publish and a delete of it are applied one after the
 * other.
 */
export async function updateRelease(
  db: Queryable,
  input: { repoId: string; ref: string; actorId: string; changes: ReleaseChanges },
): Promise<Release> {
  const { changes } = input;
  let version: string | undefined;
  if (changes.version !== undefined) {
    const normalized = normalizeVersion(changes.version);
    if (normalized === null) {
      throw new BadRequest(`"${changes.version}" is not a SemVer 2.0.0 version.`, [
        { path: '/body/version', message: 'must be SemVer 2.0.0' },
      ]);
    }
    version = normalized;
  }
  checkNotesLength(changes.notes);
  // a commit is checked against the repo's history (git is read before the transaction opens)
  const commit =
    changes.commit === undefined
      ? undefined
      : ((await releaseHistory(db, { repoId: input.repoId, version: version ?? '0.0.0', commit: changes.commit }))
          .commit ?? undefined);
  return db.tx(async (tx) => {
    const current = await lockRelease(tx, input.repoId, input.ref);
    if (!current.draft) {
      const problems = frozenFields(current, { ...changes, commit }, version);
      if (problems.length) {
        throw new Unprocessable(`${problems.map((p) => p.message).join('; ')}.`, problems);
      }
    }
    const publishing = current.draft && changes.draft === false;
    const set = [
      ...(changes.title !== undefined ? [sql`title = ${changes.title}`] : []),
      ...(changes.notes !== undefined ? [sql`notes = ${changes.notes}`] : []),
      ...(current.draft && version !== undefined ? [sql`version = ${version}`] : []),
      ...(current.draft && commit !== undefined ? [sql`commit = ${commit}`] : []),
      ...(publishing ? [sql`draft = false`, sql`published_at = now()`] : []),
    ];
    if (set.length) {
      try {
        await tx.query(sql`UPDATE releases SET ${sql.join(set, sql`, `)} WHERE id = ${current.id}`);
      } catch (err) {
        if (isUniqueViolation(err, 'releases_repo_version')) {
          throw new Conflict(`Version ${version} has already been released in this repo.`);
        }
        throw err;
      }
    }
    if (current.draft && changes.artifactIds !== undefined) {
      await tx.query(sql`DELETE FROM release_artifacts WHERE release_id = ${current.id}`);
      await linkArtifacts(tx, input.repoId, current.id, changes.artifactIds);
    }
    const release = await getRelease(tx, input.repoId, current.id);
    await recordRepoEvent(tx, {
      type: publishing ? 'release.published' : 'release.updated',
      repoId: input.repoId,
      actorId: input.actorId,
      resource: release,
    });
    return release;
  });
}

/** 409 when release `release` has deployments: what ran stays recorded, and so does the release it ran. */
async function refuseIfDeployed(tx: Queryable, release: { id: string; version: string }, what: string): Promise<void> {
  const [{ n }] = (await tx.query(sql`
    SELECT count(*)::int AS n FROM (SELECT 1 FROM deployments WHERE release_id = ${release.id} LIMIT 1000) d`)) as [
    { n: number },
  ];
  if (n > 0) {
    throw new Conflict(
      `Release ${release.version} has been deployed (${n >= 1000 ? 'at least 1000' : n} deployment${n === 1 ? '' : 's'}), so ${what}: what ran stays recorded.`,
    );
  }
}

/**
 * Deletes release `ref` of `repoId` (a draft, or a published release that has never been deployed) with its links to
 * its artifacts (the artifacts stay in the repo), and records release.deleted with the release as it was. A release
 * that was ever deployed anywhere is a 409 that says so. The row is locked first: a deployment of it being written
 * waits, then finds no release (404); a publish of it either lands before or finds nothing.
 */
export async function deleteRelease(
  db: Queryable,
  input: { repoId: string; ref: string; actorId: string },
): Promise<void> {
  await db.tx(async (tx) => {
    const current = await lockRelease(tx, input.repoId, input.ref);
    await refuseIfDeployed(tx, current, 'it cannot be deleted');
    const release = await getRelease(tx, input.repoId, current.id);
    await tx.query(sql`DELETE FROM releases WHERE id = ${current.id}`);
    await recordRepoEvent(tx, {
      type: 'release.deleted',
      repoId: input.repoId,
      actorId: input.actorId,
      resource: release,
    });
  });
}

/**
 * Deletes artifact `artifactId` of `repoId` and its links to releases, all or nothing, until a release that holds it
 * is deployed (then 409: what ran stays as it was). Each release that held it records release.updated. The file stays
 * on the volume (an upload's file is shared by every artifact with the same bytes).
 */
export async function deleteArtifact(
  db: Queryable,
  input: { repoId: string; artifactId: string; actorId: string },
): Promise<void> {
  await db.tx(async (tx) => {
    // the releases holding it first, locked as an upload, a change or a first deployment of them locks them (a
    // change of a draft's artifacts locks its release, then the artifacts: the same order, so no deadlock)
    const holders = await tx.query(sql`
      SELECT r.id, r.version FROM releases r JOIN release_artifacts ra ON ra.release_id = r.id
      WHERE r.repo_id = ${input.repoId} AND ra.artifact_id = ${input.artifactId} ORDER BY r.id FOR UPDATE OF r`);
    const [artifact] = await tx.query(sql`
      SELECT id, name FROM artifacts WHERE repo_id = ${input.repoId} AND id = ${input.artifactId} FOR UPDATE`);
    if (!artifact) throw new NotFound(`Artifact ${input.artifactId} was not found in this repo`);
    for (const release of holders) {
      await refuseIfDeployed(tx, release, `its artifact ${artifact.name} cannot be deleted`);
    }
    await tx.query(sql`DELETE FROM release_artifacts WHERE artifact_id = ${artifact.id}`);
    await tx.query(sql`DELETE FROM artifacts WHERE id = ${artifact.id}`);
    for (const holder of holders) {
      await recordRepoEvent(tx, {
        type: 'release.updated',
        repoId: input.repoId,
        actorId: input.actorId,
        resource: await getRelease(tx, input.repoId, holder.id),
      });
    }
  });
}

/**
 * The id of the release of `repoId` that `ref` names, for a deployment of it being written in `tx`: the row is held
 * (KEY SHARE, as the deployment's foreign key would hold it) so that it cannot be deleted meanwhile. NotFound for
 * none; a draft is a 409: it is published before it is deployed.
 */
export async function deployableReleaseId(tx: Queryable, repoId: string, ref: string): Promise<string> {
  const [row] = await tx.query(sql`
    SELECT r.id, r.version, r.draft FROM releases r
    WHERE r.repo_id = ${repoId} AND ${releaseRef(ref).matches} FOR KEY SHARE`);
  if (!row) throw new NotFound(`Release ${ref} was not found in this repo`);
  if (row.draft) {
    throw new Conflict(`Release ${row.version} is a draft: publish it (PATCH with draft: false) before deploying it.`);
  }
  return row.id;
}
