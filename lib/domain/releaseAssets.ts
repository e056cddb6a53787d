import type { Release } from '../../schemas/releases';
import { type Queryable, sql } from '../infra/db';
import { NotFound, Unprocessable } from '../infra/errors';
import type { RepoAccess } from './access';
import { uploadArtifact } from './artifacts';

export type ReleaseArtifact = Release['artifacts'][number];

/**
 * Adds an uploaded file to release `releaseId` of `repo` as a new artifact of it, all or nothing: the release's row is
 * locked first, so two uploads (or an upload and a first deployment) are applied one after the other. A name already
 * on the release is a 422; so is any upload once the release has been deployed (what ran is what the release holds).
 * `label` says what the file is on this release.
 */
export async function addReleaseArtifact(
  db: Queryable,
  repo: RepoAccess,
  releaseId: string,
  file: { name: string; label?: string; contentType: string },
  bytes: Buffer,
): Promise<ReleaseArtifact> {
  return db.tx(async (tx) => {
    // the lock waits for a deployment of the release being written (its foreign key holds the row), and the
    // statement after it reads what that deployment committed
    const [release] = await tx.query(sql`
      SELECT id, version FROM releases WHERE repo_id = ${repo.id} AND id = ${releaseId} FOR UPDATE`);
    if (!release) throw new NotFound(`Release ${releaseId} was not found in this repo`);
    const [deployed] = await tx.query(sql`SELECT 1 FROM deployments WHERE release_id = ${release.id} LIMIT 1`);
    if (deployed) {
      throw new Unprocessable(
        `Release ${release.version} has been deployed, so its assets are fixed: publish a new release to ship other files.`,
        [{ path: '/query/name', message: 'the release has been deployed; its assets are fixed' }],
      );
    }
    const [taken] = await tx.query(sql`
      SELECT 1 FROM release_artifacts ra JOIN artifacts a ON a.id = ra.artifact_id
      WHERE ra.release_id = ${release.id} AND a.name = ${file.name}`);
    if (taken) {
      throw new Unprocessable(`Release ${release.version} already has an asset named ${file.name}.`, [
        { path: '/query/name', message: 'already exists' },
      ]);
    }
    const artifact = await uploadArtifact(tx, repo.id, file, bytes);
    await tx.query(sql`
      INSERT INTO release_artifacts (release_id, artifact_id, label)
      VALUES (${release.id}, ${artifact.id}, ${file.label || null})`);
    return { ...artifact, ...(file.label && { label: file.label }) };
  });
}
