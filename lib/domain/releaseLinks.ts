import { config } from '../infra/config';
import { type Queryable, sql } from '../infra/db';
import { BadRequest, type FieldError, Unprocessable } from '../infra/errors';

/**
 * What is wrong with a request to link `requested` artifact ids, given the ids among them that exist in the
 * release's repo: every repeated id and every id that is unknown or belongs to another repo, each named with its
 * position in the request. Empty when the links can be made.
 */
export function artifactLinkProblems(requested: readonly string[], foundInRepo: ReadonlySet<string>): FieldError[] {
  const problems: FieldError[] = [];
  const seen = new Set<string>();
  requested.forEach((id, index) => {
    const key = id.toLowerCase();
    if (seen.has(key)) {
      problems.push({ path: `/body/artifactIds/${index}`, message: `artifact ${id} is listed more than once` });
    } else if (!foundInRepo.has(key)) {
      problems.push({ path: `/body/artifactIds/${index}`, message: `artifact ${id} does not exist in this repo` });
    }
    seen.add(key);
  });
  return problems;
}

/**
 * Links artifacts `artifactIds` of `repoId` to release `releaseId`, inside the caller's transaction `tx`; any unknown,
 * foreign or repeated id is a 422 naming each, and nothing is linked. The artifacts are held (KEY SHARE) until commit.
 */
export async function linkArtifacts(
  tx: Queryable,
  repoId: string,
  releaseId: string,
  artifactIds: readonly string[],
): Promise<void> {
  if (!artifactIds.length) return;
  const found = await tx.query(sql`
    SELECT id FROM artifacts WHERE repo_id = ${repoId} AND id = ANY(${artifactIds}::uuid[]) FOR KEY SHARE`);
  const problems = artifactLinkProblems(artifactIds, new Set(found.map((row) => String(row.id).toLowerCase())));
  if (problems.length) {
    throw new Unprocessable(
      `${problems.length} of the artifactIds cannot be linked: ${problems.map((p) => p.message).join('; ')}.`,
      problems,
    );
  }
  await tx.query(sql`
    INSERT INTO release_artifacts (release_id, artifact_id)
    SELECT ${releaseId}, unnest(${artifactIds}::uuid[])`);
}

/** 400 when `notes` are longer than RELEASE_NOTES_MAX_LEN code points (the schema's maxLength counts them too). */
export function checkNotesLength(notes: string | undefined): void {
  const notesMax = config().releaseNotesMaxLen;
  if (notes !== undefined && notes.length > notesMax && [...notes].length > notesMax) {
    throw new BadRequest(`Invalid request body: /notes must NOT have more than ${notesMax} characters.`, [
      { path: '/body/notes', message: `must NOT have more than ${notesMax} characters` },
    ]);
  }
}
