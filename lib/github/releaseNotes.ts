import { commitIn, gitDirOf } from '../domain/gitRepos';
import { draftReleaseNotes, fitNotes } from '../domain/releaseNotes';
import { getRelease, type Visibility } from '../domain/releases';
import { config } from '../infra/config';
import type { Queryable } from '../infra/db';
import { NotFound, Unprocessable } from '../infra/errors';
import { releaseInput } from './input';

/** The native notes' fields as GitHub names them, for the field errors of a GitHub request. */
const NOTES_FIELDS = {
  commit: '/body/target_commitish',
  version: '/body/tag_name',
  previousVersion: '/body/previous_tag_name',
};

/**
 * The full id of the commit `target` names, or without one, of the repo's HEAD: GitHub takes the default branch when
 * target_commitish is not given, and HEAD of the bare repository is that branch. 409 when the repo has no git
 * repository; 422 asking for target_commitish when HEAD names no commit (nothing was pushed yet).
 */
async function targetCommit(db: Queryable, repoId: string, target: string | undefined): Promise<string> {
  const gitDir = await gitDirOf(db, repoId);
  if (target !== undefined) return commitIn(gitDir, target, NOTES_FIELDS.commit);
  return commitIn(gitDir, 'HEAD', NOTES_FIELDS.commit).catch((err: unknown) => {
    if (!(err instanceof Unprocessable)) throw err;
    throw new Unprocessable(
      "target_commitish is required here: the repo's HEAD (its default branch) names no commit; pass the commit or branch to release.",
      [{ path: NOTES_FIELDS.commit, message: 'is required' }],
    );
  });
}

/**
 * The commit an existing release of `tag` names (GitHub ignores target_commitish for a tag that exists), or null; a
 * draft counts only for a caller who sees drafts.
 */
async function commitOfTag(db: Queryable, repoId: string, tag: string, seen: Visibility): Promise<string | null> {
  const release = await getRelease(db, repoId, tag, seen).catch((err: unknown) => {
    if (err instanceof NotFound) return null;
    throw err;
  });
  return release?.commit ?? null;
}

/**
 * GitHub's generate release notes: `{ name, body }` for `tag_name`, from the repo's git history between the previous
 * release (`previous_tag_name`, else the highest release below the tag that names a commit) and the tag's commit
 * (that of the release of `tag_name` if there is one, else `target_commitish`, else HEAD). The name is the tag, as
 * GitHub names it; the body is the native notes. Writes nothing.
 */
export async function generateNotes(
  db: Queryable,
  repoId: string,
  input: { tag_name: string; target_commitish?: string; previous_tag_name?: string; configuration_file_path?: string },
  seen: Visibility,
): Promise<{ name: string; body: string }> {
  if (input.configuration_file_path !== undefined) {
    const why = 'notes here are grouped by Conventional Commit type; no configuration file is read';
    throw new Unprocessable(`configuration_file_path: ${why}`, [
      { path: '/body/configuration_file_path', message: why },
    ]);
  }
  const commit =
    (await commitOfTag(db, repoId, input.tag_name, seen)) ?? (await targetCommit(db, repoId, input.target_commitish));
  const drafted = await draftReleaseNotes(
    db,
    repoId,
    { commit, version: input.tag_name, previousVersion: input.previous_tag_name },
    NOTES_FIELDS,
  );
  return { name: input.tag_name, body: drafted.notes };
}

/**
 * The native release GitHub's create asks for with `generate_release_notes: true`: the notes generated from the
 * history up to `target_commitish` (else HEAD), after the `body` when one is given (GitHub prepends the body to the
 * generated notes), and the tag as the name when none is given (GitHub's generated name). The native create records
 * the range the notes cover.
 */
export async function releaseWithNotes(
  db: Queryable,
  repoId: string,
  input: Parameters<typeof releaseInput>[0],
): Promise<{ version: string; title: string; notes?: string; commit: string; generateNotes: true }> {
  const { notes: _given, ...release } = releaseInput({ ...input, generate_release_notes: false });
  const commit = await targetCommit(db, repoId, input.target_commitish);
  const title = release.title ?? input.tag_name;
  if (!input.body) return { ...release, title, commit, generateNotes: true };
  const drafted = await draftReleaseNotes(db, repoId, { commit, version: release.version }, NOTES_FIELDS);
  // the body is kept whole; the generated notes are cut to what room is left under RELEASE_NOTES_MAX_LEN
  const room = config().releaseNotesMaxLen - [...input.body].length - 2;
  const notes = drafted.notes && room > 0 ? `${input.body}\n\n${fitNotes(drafted.notes, room)}` : input.body;
  return { ...release, title, commit, notes, generateNotes: true };
}
