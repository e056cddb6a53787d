import { randomUUID } from 'node:crypto';
import type { RepoEnvironment } from '../schemas/environments';
import type { PublicEvent } from '../schemas/events';
import type { MemberRepo } from '../schemas/repos';
import { CliError, type Options } from './args';

/** The parts of an RFC 9457 problem the CLI prints. */
interface Problem {
  title?: string;
  detail?: string;
  errors?: { path: string; message: string }[];
}

const RETRIES = 3;

function baseOf(options: Options): string {
  return options.url.replace(/\/+$/, '').replace(/\/api\/v1$/, '');
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One API call, retried with the same Idempotency-Key after a network error or a 502/503/504; with `once`, sent once
 * and without a key (POST /tokens: its answer holds a secret the API never keeps, so it cannot be replayed).
 */
export async function call<T>(
  options: Options,
  method: string,
  apiPath: string,
  body?: { json?: unknown; bytes?: Buffer },
  once = false,
): Promise<T> {
  const base = baseOf(options);
  const headers: Record<string, string> = { authorization: `Bearer ${options.token}`, accept: 'application/json' };
  let payload: string | Buffer | undefined;
  if (body?.json !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body.json);
  } else if (body?.bytes) {
    headers['content-type'] = 'application/octet-stream';
    payload = body.bytes;
  }
  if (method === 'POST' && !once) headers['idempotency-key'] = randomUUID();
  const tries = once ? 1 : RETRIES;
  for (let attempt = 1; ; attempt += 1) {
    let response: Response;
    try {
      response = await fetch(`${base}/api/v1${apiPath}`, {
        method,
        headers,
        ...(payload !== undefined ? { body: payload } : {}),
      });
    } catch (err) {
      if (attempt < tries) {
        await pause(500 * attempt);
        continue;
      }
      throw new CliError(
        `cannot reach ${base}: ${(err as Error).cause ? String((err as Error).cause) : (err as Error).message}`,
      );
    }
    if ([502, 503, 504].includes(response.status) && attempt < tries) {
      const wait = Number(response.headers.get('retry-after')) || attempt;
      await pause(Math.min(wait, 10) * 1000);
      continue;
    }
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text for the message
    }
    if (!response.ok) {
      const problem: Problem = parsed && typeof parsed === 'object' ? parsed : {};
      const detail = problem.detail ? problem.detail : String(text).slice(0, 200);
      const fields = problem.errors?.map((e) => `\n  ${e.path}: ${e.message}`).join('') ?? '';
      throw new CliError(`${response.status} ${problem.title ?? response.statusText}: ${detail}${fields}`);
    }
    // the API's responses are checked against these schemas by the e2e suite
    return parsed as T;
  }
}

/** One GET of part of an artifact's content, retried like `call` after a network error or a 502/503/504. */
export async function fetchContent(
  options: Options,
  apiPath: string,
  headers: Record<string, string>,
): Promise<Response> {
  const base = baseOf(options);
  for (let attempt = 1; ; attempt += 1) {
    try {
      const response = await fetch(`${base}/api/v1${apiPath}`, {
        headers: { authorization: `Bearer ${options.token}`, ...headers },
      });
      if (![502, 503, 504].includes(response.status) || attempt >= RETRIES) return response;
      await response.body?.cancel();
      const wait = Number(response.headers.get('retry-after')) || attempt;
      await pause(Math.min(wait, 10) * 1000);
    } catch (err) {
      if (attempt >= RETRIES)
        throw new CliError(`cannot reach ${base}: ${(err as Error).cause ?? (err as Error).message}`);
      await pause(500 * attempt);
    }
  }
}

/** The CliError of a refused answer that `call` did not read (a download's). */
export async function problemOf(response: Response): Promise<CliError> {
  const text = await response.text();
  let problem: Problem = {};
  try {
    problem = JSON.parse(text) as Problem;
  } catch {
    // not a problem document: its text is the message
  }
  return new CliError(
    `${response.status} ${problem.title ?? response.statusText}: ${problem.detail ?? text.slice(0, 200)}`,
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The id of the repo `ref` names: an id as is, or org/name looked up once (GET /orgs/{org}/repos/{name}). */
export async function resolveRepo(options: Options, ref: string): Promise<string> {
  if (UUID.test(ref)) return ref;
  const parts = ref.split('/');
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    throw new CliError(`"${ref}" is not a repo: name it org/name (e.g. acme/web) or by its id`, 2);
  }
  const [org, name] = parts.map(encodeURIComponent) as [string, string];
  return (await call<MemberRepo>(options, 'GET', `/orgs/${org}/repos/${name}`)).id;
}

type EnvironmentsView = { items: RepoEnvironment[] } | RepoEnvironment[];

/** The environments of `repo`'s org with what runs in each, as sent (a page) and as a list. */
export async function repoEnvironments(options: Options, repo: string) {
  const view = await call<EnvironmentsView>(options, 'GET', `/repos/${repo}/environments`);
  return { view, environments: Array.isArray(view) ? view : view.items };
}

/** The environment of `repo`'s org named (or with the id) `name`. */
export async function findEnvironment(options: Options, repo: string, name: string): Promise<RepoEnvironment> {
  const { environments } = await repoEnvironments(options, repo);
  const environment = environments.find((e) => e.name === name || e.id === name);
  if (!environment)
    throw new CliError(
      `no environment "${name}" in this repo's org (there are: ${environments.map((e) => e.name).join(', ')})`,
    );
  return environment;
}

export type FeedPage = { items: PublicEvent[]; nextCursor: string };

/** The cursor of `repo`'s feed as it is now: what comes after it has not happened yet. */
export async function feedNow(options: Options, repo: string): Promise<string> {
  return (await call<FeedPage>(options, 'GET', `/repos/${repo}/events?after=now`)).nextCursor;
}

/** One long-polled page of `repo`'s events after `after` (wait= at most 30 s, the server's longest). */
export function nextEvents(options: Options, repo: string, after: string, waitMs: number, types?: string) {
  const query = new URLSearchParams({
    after,
    limit: '100',
    wait: String(Math.max(0, Math.min(30, Math.ceil(waitMs / 1000)))),
  });
  if (types) query.set('types', types);
  return call<FeedPage>(options, 'GET', `/repos/${repo}/events?${query}`);
}
