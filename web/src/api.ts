import type { Page, Problem, Release, ReleaseSummary, RepoEnvironment } from './types';

/** A failed request, with the text to show: the problem's `detail` when the API sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The message of a response that is not a success: its problem `detail`, else its title, else its status. */
async function failure(response: Response): Promise<ApiError> {
  let problem: Problem | undefined;
  try {
    problem = (await response.json()) as Problem;
  } catch {
    // not JSON: a proxy's page, say; the status is all there is
  }
  const detail =
    problem?.detail || problem?.title || `The API answered ${response.status} ${response.statusText}`.trim();
  return new ApiError(response.status, detail);
}

/**
 * The public API (`api/v1`, relative to the page), called with the user's token. Every failure is thrown as an
 * ApiError whose message can be shown as is; `onUnauthorized` hears of a 401 (a revoked or wrong token).
 */
export function apiClient(token: string, onUnauthorized: (detail: string) => void) {
  async function request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`api/v1${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        cache: 'no-store',
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
      });
    } catch (err) {
      throw new ApiError(0, `The API could not be reached (${(err as Error).message}).`);
    }
    if (!response.ok) {
      const error = await failure(response);
      if (response.status === 401) onUnauthorized(error.message);
      throw error;
    }
    return (await response.json()) as T;
  }
  return {
    get: <T>(path: string) => request<T>('GET', path),
    post: <T>(path: string, body: unknown) => request<T>('POST', path, body),
  };
}

export type Api = ReturnType<typeof apiClient>;

/** Every page of a list, for the short lists only (a user's repos, an org's environments): at most `maxPages`. */
export async function allPages<T>(api: Api, path: string, maxPages = 20): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < maxPages; page += 1) {
    const query = new URLSearchParams({ limit: '100' });
    if (cursor) query.set('cursor', cursor);
    const result: { items: T[]; nextCursor: string | null } = await api.get(`${path}?${query}`);
    items.push(...result.items);
    cursor = result.nextCursor;
    if (!cursor) break;
  }
  return items;
}

// ---- the calls of the dashboard ---------------------------------------------------------------------------------

/** Releases per page of the dashboard's table. */
const PAGE_SIZE = 20;

/** The environments of `repoId`'s org with what runs in each. */
export function environmentsOf(api: Api, repoId: string): Promise<RepoEnvironment[]> {
  return allPages<RepoEnvironment>(api, `/repos/${repoId}/environments`);
}

/** A page of `repoId`'s releases, newest first, from `cursor`. */
export function releasesPage(api: Api, repoId: string, cursor: string | null): Promise<Page<ReleaseSummary>> {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (cursor) query.set('cursor', cursor);
  return api.get<Page<ReleaseSummary>>(`/repos/${repoId}/releases?${query}`);
}

/** One release with its artifacts and newest deployments. */
export function releaseOf(api: Api, repoId: string, releaseId: string): Promise<Release> {
  return api.get<Release>(`/repos/${repoId}/releases/${releaseId}`);
}

/** Deploys a release to an environment: done at once, or waiting for approvals. */
export function deployRelease(api: Api, repoId: string, releaseId: string, environmentId: string) {
  return api.post<{ status: string; requiredApprovals: number }>(`/repos/${repoId}/releases/${releaseId}/deployments`, {
    environmentId,
  });
}
