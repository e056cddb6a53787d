import type { ReportedState } from '../domain/deploymentHistory';
import { normalizeVersion } from '../domain/versions';
import { Conflict, type FieldError, HttpProblem, NotFound, Unprocessable } from '../infra/errors';

/** 422 naming the field of a GitHub request that cannot be honoured here, and why. */
function cannotHonour(field: string, why: string): Unprocessable {
  return new Unprocessable(`${field}: ${why}`, [{ path: `/body/${field}`, message: why }]);
}

/**
 * Maps a native error to GitHub's words by its kind: field errors of a native field name GitHub's field
 * (`fields`: native → GitHub, e.g. notes → body); a Conflict or a NotFound of what a field names becomes a 422 on it.
 */
export function asGithub(fields: Record<string, string>, kinds: { conflict?: string; notFound?: string } = {}) {
  return (err: unknown): never => {
    if (err instanceof Conflict && kinds.conflict) {
      throw new Unprocessable(err.message, [{ path: `/body/${kinds.conflict}`, message: 'already exists' }]);
    }
    if (err instanceof NotFound && kinds.notFound) {
      throw new Unprocessable(err.message, [{ path: `/body/${kinds.notFound}`, message: err.message }]);
    }
    if (!(err instanceof HttpProblem) || !err.errors?.length) throw err;
    const errors: FieldError[] = err.errors.map((error) => {
      const [, part, field, ...rest] = error.path.split('/');
      const named = part === 'body' && field !== undefined ? (fields[field] ?? field) : field;
      return { ...error, path: ['', part, named, ...rest].join('/') };
    });
    const detail = errors.map((error) => `${error.path.split('/').slice(2).join('.')} ${error.message}`).join('; ');
    throw new HttpProblem(err.status, err.title, detail, errors, err.headers);
  };
}

/** A release's fields named as GitHub names them, for asGithub. */
export const RELEASE_FIELDS = { version: 'tag_name', title: 'name', notes: 'body', commit: 'target_commitish' };

/** GitHub's release fields beside the tag, as a create or an edit sends them. */
interface GithubReleaseFields {
  target_commitish?: string;
  name?: string | null;
  body?: string | null;
  draft?: boolean;
  prerelease?: boolean;
  discussion_category_name?: string;
  make_latest?: 'true' | 'false' | 'legacy';
}

/** The version a GitHub tag names, or a 422 on tag_name. */
function tagVersion(tag: string): string {
  const version = normalizeVersion(tag);
  if (version === null) {
    throw cannotHonour('tag_name', `"${tag}" is not a SemVer 2.0.0 version (with or without a leading v)`);
  }
  return version;
}

/**
 * Checks what GitHub's release request asks and this model cannot give, each a 422 that says so: a prerelease flag
 * that contradicts the version (SemVer says what is a pre-release), discussions, a chosen "latest".
 */
function checkReleaseFlags(version: string, input: GithubReleaseFields): void {
  const prerelease = version.replace(/\+.*$/, '').includes('-');
  if (input.prerelease !== undefined && input.prerelease !== prerelease) {
    const is = prerelease ? 'is' : 'is not';
    throw cannotHonour(
      'prerelease',
      `${input.prerelease} contradicts the version ${version}, which ${is} a pre-release`,
    );
  }
  if (input.discussion_category_name !== undefined) {
    throw cannotHonour('discussion_category_name', 'releases have no discussions here');
  }
  if (input.make_latest !== undefined && input.make_latest !== 'legacy') {
    const why = 'the latest release is always the highest SemVer version that is not a pre-release';
    throw cannotHonour('make_latest', why);
  }
}

/**
 * The native release GitHub's create asks for, a draft or not (checkReleaseFlags). Generated notes are not read here:
 * with `generate_release_notes`, lib/github/releaseNotes `releaseWithNotes` fills them.
 */
export function releaseInput(input: GithubReleaseFields & { tag_name: string; generate_release_notes?: boolean }): {
  version: string;
  title?: string;
  notes: string;
  commit?: string;
  draft: boolean;
} {
  const version = tagVersion(input.tag_name);
  checkReleaseFlags(version, input);
  const { name, body, target_commitish: commit, draft } = input;
  return { version, title: name || undefined, notes: body ?? '', commit, draft: draft ?? false };
}

/**
 * The native changes GitHub's edit of a release asks for, given the release's `version` now: checkReleaseFlags
 * against the version it will have. A tag or commit that differs, on a published release, is refused by the domain.
 */
export function releaseChangesInput(input: GithubReleaseFields & { tag_name?: string }, version: string) {
  const next = input.tag_name === undefined ? version : tagVersion(input.tag_name);
  checkReleaseFlags(next, input);
  return {
    ...(input.tag_name !== undefined && { version: next }),
    ...(input.name && { title: input.name }),
    ...(input.body !== undefined && { notes: input.body ?? '' }),
    ...(input.target_commitish !== undefined && { commit: input.target_commitish }),
    ...(input.draft !== undefined && { draft: input.draft }),
  };
}

/** The media type of an upload as GitHub records it (parameters dropped), or octet-stream for none or a bad one. */
export function assetContentType(contentType: string | undefined): string {
  const type = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  return /^[\w.+-]+\/[\w.+-]+$/.test(type) && type.length <= 255 ? type : 'application/octet-stream';
}

/**
 * Checks GitHub's deployment fields this model has no room for. auto_merge and required_contexts are accepted and
 * do nothing: there is no branch to merge and no commit status to check.
 */
export function checkDeploymentInput(input: {
  task?: string;
  payload?: unknown;
  transient_environment?: boolean;
  production_environment?: boolean;
}): void {
  if (input.task !== undefined && input.task !== 'deploy') throw cannotHonour('task', 'the only task here is deploy');
  const payload = input.payload;
  const empty =
    payload === undefined || payload === '' || (typeof payload === 'object' && !Object.keys(payload ?? {}).length);
  if (!empty) throw cannotHonour('payload', 'a deployment carries no payload here');
  if (input.transient_environment) throw cannotHonour('transient_environment', 'environments here are never transient');
  if (input.production_environment !== undefined) {
    throw cannotHonour(
      'production_environment',
      'environments are not marked as production here: their pipeline order and protection say what they are',
    );
  }
}

/** A status report from GitHub's fields (`target_url` is the older name of `log_url`). */
export function statusInput(input: {
  state: ReportedState;
  description?: string | null;
  environment?: string;
  log_url?: string;
  target_url?: string;
  environment_url?: string;
}) {
  return {
    state: input.state,
    description: input.description ?? '',
    environment: input.environment,
    logUrl: input.log_url ?? input.target_url ?? null,
    environmentUrl: input.environment_url ?? null,
  };
}
