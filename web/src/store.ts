import type { Api } from './api';
import type { CurrentUser, MemberRepo, Release, ReleaseSummary, RepoEnvironment } from './types';

/** The token lives in sessionStorage only: it is gone when the tab closes, and no other tab or site sees it. */
export const TOKEN_KEY = 'gitweave.token';
export const REPO_KEY = 'gitweave.repo';

export const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The dashboard's state, in one place: who is signed in, the repo chosen, what the page knows of it. The views read
 * it and main.ts changes it; `generation` is bumped whenever the repo changes or the user signs out, so that
 * answers arriving for an older one are dropped.
 */
export const state = {
  api: null as Api | null,
  me: null as CurrentUser | null,
  repos: [] as MemberRepo[],
  repo: null as MemberRepo | null,
  environments: [] as RepoEnvironment[],
  nextCursor: null as string | null,
  selected: null as string | null,
  summaries: new Map<string, ReleaseSummary>(),
  details: new Map<string, Release>(),
  generation: 0,
};

/** What the views ask of main.ts, set by it at start: the views never import it (no cycle). */
export const hooks = {
  selectRelease: (_id: string): Promise<void> => Promise.resolve(),
  afterChange: (_releaseIds: string[], _generation: number): Promise<void> => Promise.resolve(),
};

/** The signed-in client and its chosen repo; the calls below run only once signing in has set both. */
export function session(): { api: Api; repo: MemberRepo } {
  if (!state.api || !state.repo) throw new Error('not signed in');
  return { api: state.api, repo: state.repo };
}

/** True while the page still shows what `generation` was taken for. */
const live = (generation: number) => generation === state.generation;

/**
 * Environments as a pipeline on the page: the rules of each environment, the deployments waiting for
 * approval with Approve, Reject and Cancel for those allowed, a Rollback that asks for the reason in a dialog, and
 * an environment's history a page at a time. main.ts owns the session; it hands each call the current one.
 */
export interface Pipeline {
  api: Api;
  repo: MemberRepo;
  me: CurrentUser;
  environments: RepoEnvironment[];
  /** false once the user signed out or picked another repo: answers for this one are dropped */
  live(): boolean;
  /** reload what a write changed: the environments, the releases named, and these panels */
  changed(releaseIds: string[]): Promise<void>;
}

/** The session as the pipeline's panels see it, bound to this repo: `live` turns false on a change. */
export function pipeline(): Pipeline {
  const { api, repo } = session();
  if (!state.me) throw new Error('not signed in');
  const mine = state.generation;
  return {
    api,
    repo,
    me: state.me,
    environments: state.environments,
    live: () => live(mine),
    changed: (ids) => hooks.afterChange(ids, mine),
  };
}
