#!/usr/bin/env node
/**
 * gitweave-release: the GitWeave Releases API for CI pipelines. Configured by GITWEAVE_URL and GITWEAVE_TOKEN
 * (or --url and --token). Human output by default, JSON with --json; any error exits non-zero with the problem's
 * message. Writes carry an Idempotency-Key, so the retries after a network error or a 503 never write twice.
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Artifact } from '../schemas/artifacts';
import type { Deployment, DeploymentDetail } from '../schemas/deployments';
import type { RepoEnvironment } from '../schemas/environments';
import type { PublicEvent } from '../schemas/events';
import type { DeliveryMetrics } from '../schemas/metrics';
import type { ReleaseNotes } from '../schemas/releaseNotes';
import type { Release, ReleaseSummary } from '../schemas/releases';
import type { MemberRepo } from '../schemas/repos';
import type { CreatedToken, TokenSummary } from '../schemas/tokens';

const USAGE = `usage: gitweave-release [--url URL] [--token TOKEN] [--json] <command>

  artifact add <file> --repo <repo> [--name <name>]       upload a file as an artifact
  artifact add --path <path> --repo <repo> [--name <n>]   register a file already on the artifacts volume
  release create <repo> <version> [--notes-file <f>] [--artifact <id>]... [--commit <sha>] [--generate-notes]
                                                          --commit: the commit it is built from; --generate-notes:
                                                          notes from the history since the previous release
  notes <repo> --commit <sha> [--version <v>] [--previous <v>]
                                                          release notes and the next version from the repo's history
  next-version <repo> --commit <sha>                      just the next version (exit 1 when nothing is releasable)
  deploy <repo> <version> <environment> [--status success|failed|in_progress] [--wait [--timeout 30m]]
                                                          with --wait, return once the deployment is final:
                                                          exit 0 success, 1 failed/rejected/cancelled, 2 timeout
  deployment finish <id> <success|failed>
  approve <deployment> [--comment <text>]                 approve a deployment waiting for approvals
  reject <deployment> [--comment <text>]                  reject it (it ends as rejected)
  rollback <repo> <environment> --reason <text> [--to <version>]
                                                          go back to the release that ran there before
  history <repo> <environment> [--status <s>] [--kind deploy|rollback]
                                                          an environment's deployments, newest first
  download <repo> <version> [<name>] [--out <dir>]        download the release's artifacts (or the one named)
                                                          into <dir> (default .), each checked against its SHA-256
  metrics <repo> --environment <env> [--from <ISO time>] [--to <ISO time>] [--bucket day|week]
                                                          deployments per day or week and the DORA figures
                                                          (default: the 30 days before now, by day)
  releases <repo>                                         the newest releases
  status <repo>                                           what runs where
  watch <repo> [--types <type,…>]                         print the repo's events as they happen (until Ctrl-C)
  token create <name> --scopes read,deploy [--expires <ISO time>]
                                                          a token for you, with some of this token's scopes
  token list                                              your tokens: scopes, expiry, last use
  token revoke <id>                                       revoke one of your tokens at once

  <repo> is org/name (acme/web) or the repo's id. GITWEAVE_URL (e.g. http://127.0.0.1:3000) and GITWEAVE_TOKEN configure it;
  GITWEAVE_REPO may stand in for --repo. Exit codes: 0 done, 1 an error, 2 bad usage, 3 a download whose bytes
  do not match the artifact's SHA-256 (nothing of it is kept).`;

class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

interface Options {
  url: string;
  token: string;
}

/** The parts of an RFC 9457 problem the CLI prints. */
interface Problem {
  title?: string;
  detail?: string;
  errors?: { path: string; message: string }[];
}

const RETRIES = 3;

/**
 * One API call, retried with the same Idempotency-Key after a network error or a 502/503/504; with `once`, sent once
 * and without a key (POST /tokens: its answer holds a secret the API never keeps, so it cannot be replayed).
 */
async function call<T>(
  options: Options,
  method: string,
  apiPath: string,
  body?: { json?: unknown; bytes?: Buffer },
  once = false,
): Promise<T> {
  const base = options.url.replace(/\/+$/, '').replace(/\/api\/v1$/, '');
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
        await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
        continue;
      }
      throw new CliError(
        `cannot reach ${base}: ${(err as Error).cause ? String((err as Error).cause) : (err as Error).message}`,
      );
    }
    if ([502, 503, 504].includes(response.status) && attempt < tries) {
      const wait = Number(response.headers.get('retry-after')) || attempt;
      await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 10) * 1000));
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

/** The file name an artifact is saved under in the target folder: its name, never a path or a special entry. */
function fileNameOf(artifact: Artifact): string {
  const name = path.basename(artifact.name.replace(/\\/g, '/'));
  return name === '' || name === '.' || name === '..' ? `artifact-${artifact.id}` : name;
}

/** One GET of part of the artifact's content, retried like `call` after a network error or a 502/503/504. */
async function fetchContent(options: Options, apiPath: string, headers: Record<string, string>): Promise<Response> {
  const base = options.url.replace(/\/+$/, '').replace(/\/api\/v1$/, '');
  for (let attempt = 1; ; attempt += 1) {
    try {
      const response = await fetch(`${base}/api/v1${apiPath}`, {
        headers: { authorization: `Bearer ${options.token}`, ...headers },
      });
      if (![502, 503, 504].includes(response.status) || attempt >= RETRIES) return response;
      await response.body?.cancel();
      const wait = Number(response.headers.get('retry-after')) || attempt;
      await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 10) * 1000));
    } catch (err) {
      if (attempt >= RETRIES)
        throw new CliError(`cannot reach ${base}: ${(err as Error).cause ?? (err as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    }
  }
}

async function problemOf(response: Response): Promise<CliError> {
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

/**
 * Downloads `artifact` into `dir`: asks for the bytes from where it has got to (Range: bytes=N-, with If-Range on its
 * ETag, so a door that answers in parts, as Lambda does past 4 MiB, is followed to the end), hashes them as they are
 * written to a temporary file, and renames that into place only when their SHA-256 is the artifact's and the
 * server's Repr-Digest; otherwise the file is deleted and the error exits 3.
 */
async function downloadArtifact(options: Options, repo: string, artifact: Artifact, dir: string): Promise<string> {
  const target = path.join(dir, fileNameOf(artifact));
  const partial = `${target}.${randomUUID().slice(0, 8)}.part`;
  const file = await fs.promises.open(partial, 'wx');
  const hash = createHash('sha256');
  const digests = new Set<string>();
  let offset = 0;
  try {
    const apiPath = `/repos/${repo}/artifacts/${artifact.id}/content`;
    do {
      const ranged = artifact.sizeBytes > 0;
      const response = await fetchContent(
        options,
        apiPath,
        ranged ? { range: `bytes=${offset}-`, 'if-range': `"${artifact.sha256}"` } : {},
      );
      if (response.status !== 200 && response.status !== 206) throw await problemOf(response);
      const from =
        response.status === 206 ? Number(/^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '')?.[1]) : 0;
      if (from !== offset)
        throw new CliError(`the server answered bytes from ${from}, not ${offset}, for ${artifact.name}`);
      const digest = /^sha-256=:([A-Za-z0-9+/=]+):/.exec(response.headers.get('repr-digest') ?? '')?.[1];
      if (digest) digests.add(Buffer.from(digest, 'base64').toString('hex'));
      if (!response.body) break;
      for await (const chunk of response.body) {
        await file.write(chunk);
        hash.update(chunk);
        offset += chunk.length;
      }
    } while (offset < artifact.sizeBytes);
    await file.close();
    const got = hash.digest('hex');
    const expected = new Set([artifact.sha256, ...digests]);
    if (expected.size !== 1 || !expected.has(got) || offset !== artifact.sizeBytes) {
      throw new CliError(
        `${artifact.name}: the downloaded bytes (${offset} bytes, SHA-256 ${got}) are not the artifact's (${artifact.sizeBytes} bytes, SHA-256 ${artifact.sha256}${digests.size ? `; the server's Repr-Digest says ${[...digests].join(', ')}` : ''}); nothing was kept`,
        3,
      );
    }
    await fs.promises.rename(partial, target);
    return target;
  } catch (err) {
    await file.close().catch(() => undefined);
    await fs.promises.rm(partial, { force: true });
    throw err;
  }
}

function table(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

async function findEnvironment(options: Options, repo: string, name: string): Promise<RepoEnvironment> {
  const { environments } = await repoEnvironments(options, repo);
  const environment = environments.find((e) => e.name === name || e.id === name);
  if (!environment)
    throw new CliError(
      `no environment "${name}" in this repo's org (there are: ${environments.map((e) => e.name).join(', ')})`,
    );
  return environment;
}

type EnvironmentsView = { items: RepoEnvironment[] } | RepoEnvironment[];

/** The environments of `repo`'s org with what runs in each, as sent (a page) and as a list. */
async function repoEnvironments(options: Options, repo: string) {
  const view = await call<EnvironmentsView>(options, 'GET', `/repos/${repo}/environments`);
  return { view, environments: Array.isArray(view) ? view : view.items };
}

/** "45s", "12m 30s", "3h 5m", "2d 4h": a duration in seconds, to the two largest units. */
function humanDuration(seconds: number | null): string {
  if (seconds === null) return '-';
  const units: Array<[string, number]> = [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ];
  let rest = Math.round(seconds);
  const parts: string[] = [];
  for (const [unit, size] of units) {
    if (rest >= size || (unit === 's' && parts.length === 0)) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

/** The metrics as a person reads them: the window, a row per bucket, then the four DORA figures. */
function metricsReport(m: DeliveryMetrics): string {
  const days = (Date.parse(m.to) - Date.parse(m.from)) / 86_400_000;
  const successes = m.buckets.reduce((sum, b) => sum + b.successes, 0);
  const spread = (d: DeliveryMetrics['leadTime'], what: string) =>
    d.count === 0
      ? `- (none in the window)`
      : `median ${humanDuration(d.medianSeconds)}, p90 ${humanDuration(d.p90Seconds)} (${d.count} ${what}${d.count === 1 ? '' : 's'})`;
  const rows = [
    [m.bucket === 'week' ? 'WEEK OF' : 'DAY', 'DEPLOYMENTS', 'SUCCESSES', 'FAILURES', 'ROLLBACKS'],
    ...m.buckets.map((b) => [
      b.start.slice(0, 10),
      String(b.deployments),
      String(b.successes),
      String(b.failures),
      String(b.rollbacks),
    ]),
  ];
  return [
    `${m.environment.name}: ${m.from} to ${m.to}, by ${m.bucket}`,
    '',
    table(rows),
    '',
    table([
      [
        'deployment frequency',
        `${m.deploymentFrequency.toFixed(2)} per day (${successes} successful in ${Number(days.toFixed(1))} days)`,
      ],
      [
        'change failure rate',
        m.changeFailureRate === null ? '- (no finished deployments)' : `${(m.changeFailureRate * 100).toFixed(1)}%`,
      ],
      ['time to restore', spread(m.timeToRestore, 'restore')],
      ['lead time', spread(m.leadTime, 'release')],
    ]),
  ].join('\n');
}

/** token create | list | revoke: the caller's own tokens. */
async function tokenCommand(
  options: Options,
  args: string[],
  values: { scopes?: string | undefined; expires?: string | undefined },
): Promise<{ json: unknown; human: string }> {
  const [verb, id] = args;
  if (verb === 'create' && args.length === 2 && id !== undefined) {
    if (!values.scopes) throw new CliError('token create needs --scopes, e.g. --scopes read,deploy', 2);
    const json = {
      name: id,
      scopes: values.scopes.split(',').map((scope) => scope.trim()),
      ...(values.expires ? { expiresAt: values.expires } : {}),
    };
    const made = await call<CreatedToken>(options, 'POST', '/tokens', { json }, true);
    const expiry = made.expiresAt ? `expires ${made.expiresAt}` : 'never expires';
    return {
      json: made,
      human: `token ${made.id}  ${made.name}  ${made.scopes.join(',')}  ${expiry}\n${made.token}\n(shown only now: keep it secret)`,
    };
  }
  if (verb === 'list' && args.length === 1) {
    const page = await call<{ items: TokenSummary[] }>(options, 'GET', '/tokens?limit=100');
    const rows = [
      ['ID', 'NAME', 'SCOPES', 'EXPIRES', 'LAST USED'],
      ...page.items.map((t) => [t.id, t.name, t.scopes.join(','), t.expiresAt ?? 'never', t.lastUsedAt ?? 'never']),
    ];
    return { json: page, human: table(rows) };
  }
  if (verb === 'revoke' && args.length === 2 && id !== undefined) {
    await call<null>(options, 'DELETE', `/tokens/${encodeURIComponent(id)}`);
    return { json: { revoked: id }, human: `token ${id} revoked` };
  }
  throw new CliError(`token takes create <name> --scopes …, list, or revoke <id>\n\n${USAGE}`, 2);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The id of the repo `ref` names: an id as is, or org/name looked up once (GET /orgs/{org}/repos/{name}). */
async function resolveRepo(options: Options, ref: string): Promise<string> {
  if (UUID.test(ref)) return ref;
  const parts = ref.split('/');
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    throw new CliError(`"${ref}" is not a repo: name it org/name (e.g. acme/web) or by its id`, 2);
  }
  const [org, name] = parts.map(encodeURIComponent) as [string, string];
  return (await call<MemberRepo>(options, 'GET', `/orgs/${org}/repos/${name}`)).id;
}

/** `30m`, `90s`, `1h` or a number of seconds, in milliseconds. */
function timeoutOf(text: string): number {
  const match = /^(\d+)(s|m|h)?$/.exec(text.trim());
  if (!match) throw new CliError(`--timeout takes a duration such as 90s, 30m or 1h, not "${text}"`, 2);
  return Number(match[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 's' | 'm' | 'h'];
}

type FeedPage = { items: PublicEvent[]; nextCursor: string };

/** One long-polled page of `repo`'s events after `after` (wait= at most 30 s, the server's longest). */
function nextEvents(options: Options, repo: string, after: string, waitMs: number, types?: string) {
  const query = new URLSearchParams({
    after,
    limit: '100',
    wait: String(Math.max(0, Math.min(30, Math.ceil(waitMs / 1000)))),
  });
  if (types) query.set('types', types);
  return call<FeedPage>(options, 'GET', `/repos/${repo}/events?${query}`);
}

/** The exit code of each final status of a deployment (waiting and in_progress are not final). */
const FINAL = new Map([
  ['success', 0],
  ['failed', 1],
  ['rejected', 1],
  ['cancelled', 1],
]);

/**
 * Follows the feed from `after` (taken before the deployment was asked for, so nothing is missed) until deployment
 * `id` is final or `timeoutMs` has passed: the deployment as it ended, or null at the timeout.
 */
async function waitForFinal(options: Options, repo: string, id: string, after: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let cursor = after;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return null;
    const page = await nextEvents(options, repo, cursor, left, 'deployment.status_changed');
    cursor = page.nextCursor;
    const ended = page.items
      .map((event) => event.resource as DeploymentDetail)
      .find((deployment) => deployment.id === id && FINAL.has(deployment.status));
    if (ended) return ended;
  }
}

/** One line per event, as `watch` prints it. */
function describeEvent(event: PublicEvent): string {
  const resource = event.resource as Record<string, unknown> & {
    environment?: { name: string };
    version?: string;
    status?: string;
    name?: string;
  };
  const what = event.type.startsWith('environment.')
    ? `${resource.name}`
    : event.type === 'release.created'
      ? `${resource.version}`
      : `${resource.version} → ${resource.environment?.name}  ${resource.status}`;
  const where = event.repo ? `${event.org.slug}/${event.repo.name}` : event.org.slug;
  return `${event.occurredAt}  ${event.type.padEnd(25)}  ${where}  ${what}  by ${event.actor?.name ?? '(deleted user)'}`;
}

/** Prints `repo`'s events as they happen, from now on, until the process is stopped. */
async function watch(options: Options, repo: string, json: boolean, types?: string): Promise<never> {
  let cursor = (await call<FeedPage>(options, 'GET', `/repos/${repo}/events?after=now`)).nextCursor;
  for (;;) {
    const page = await nextEvents(options, repo, cursor, 30_000, types);
    cursor = page.nextCursor;
    for (const event of page.items) {
      process.stdout.write(`${json ? JSON.stringify(event) : describeEvent(event)}\n`);
    }
  }
}

async function run(argv: string[]): Promise<{ json: unknown; human: string; exitCode?: number }> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      json: { type: 'boolean', default: false },
      repo: { type: 'string' },
      name: { type: 'string' },
      path: { type: 'string' },
      'notes-file': { type: 'string' },
      commit: { type: 'string' },
      'generate-notes': { type: 'boolean', default: false },
      version: { type: 'string' },
      previous: { type: 'string' },
      artifact: { type: 'string', multiple: true },
      status: { type: 'string' },
      out: { type: 'string' },
      scopes: { type: 'string' },
      expires: { type: 'string' },
      comment: { type: 'string' },
      reason: { type: 'string' },
      to: { type: 'string' },
      kind: { type: 'string' },
      wait: { type: 'boolean', default: false },
      timeout: { type: 'string' },
      types: { type: 'string' },
      environment: { type: 'string' },
      from: { type: 'string' },
      bucket: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length === 0) throw new CliError(USAGE, 2);
  const url = values.url ?? process.env.GITWEAVE_URL;
  const token = values.token ?? process.env.GITWEAVE_TOKEN;
  if (!url) throw new CliError('set GITWEAVE_URL (or --url) to the API, e.g. http://127.0.0.1:3000', 2);
  if (!token) throw new CliError('set GITWEAVE_TOKEN (or --token) to an API token', 2);
  const options: Options = { url, token };
  const [command, ...args] = positionals;
  const need = (count: number, what: string) => {
    if (args.length !== count) throw new CliError(`${command} takes ${what}\n\n${USAGE}`, 2);
  };

  switch (command) {
    case 'artifact': {
      if (args[0] !== 'add') throw new CliError(`unknown command: artifact ${args[0] ?? ''}\n\n${USAGE}`, 2);
      const repoRef = values.repo ?? process.env.GITWEAVE_REPO;
      if (!repoRef) throw new CliError('artifact add needs --repo <repo> (or GITWEAVE_REPO)', 2);
      const repo = await resolveRepo(options, repoRef);
      let artifact: Artifact;
      if (values.path) {
        if (args.length !== 1) throw new CliError('artifact add --path <path> takes no file', 2);
        artifact = await call<Artifact>(options, 'POST', `/repos/${repo}/artifacts`, {
          json: { name: values.name ?? path.basename(values.path), path: values.path },
        });
      } else {
        const file = args[1];
        if (args.length !== 2 || file === undefined)
          throw new CliError('artifact add takes a file (or --path <path>)', 2);
        const bytes = await fs.promises.readFile(file).catch((err: NodeJS.ErrnoException) => {
          throw new CliError(`cannot read ${file}: ${err.code ?? err.message}`);
        });
        const query = new URLSearchParams({ name: values.name ?? path.basename(file) });
        artifact = await call<Artifact>(options, 'POST', `/repos/${repo}/artifacts?${query}`, { bytes });
      }
      return {
        json: artifact,
        human: `artifact ${artifact.id}  ${artifact.name}  ${artifact.sizeBytes} bytes  sha256 ${artifact.sha256}`,
      };
    }
    case 'release': {
      if (args[0] !== 'create') throw new CliError(`unknown command: release ${args[0] ?? ''}\n\n${USAGE}`, 2);
      if (args.length !== 3) throw new CliError('release create takes <repo> <version>', 2);
      const notes = values['notes-file'] ? await fs.promises.readFile(values['notes-file'], 'utf8') : undefined;
      const repo = await resolveRepo(options, args[1] ?? '');
      const release = await call<Release>(options, 'POST', `/repos/${repo}/releases`, {
        json: {
          version: args[2],
          ...(notes !== undefined ? { notes } : {}),
          ...(values.artifact ? { artifactIds: values.artifact } : {}),
          ...(values.commit !== undefined ? { commit: values.commit } : {}),
          ...(values['generate-notes'] ? { generateNotes: true } : {}),
        },
      });
      return {
        json: release,
        human: `release ${release.version}  ${release.id}  ${release.artifacts.length} artifact(s)`,
      };
    }
    case 'notes':
    case 'next-version': {
      need(1, '<repo> --commit <sha>');
      if (!values.commit) throw new CliError(`${command} needs --commit <sha or ref>`, 2);
      const repo = await resolveRepo(options, args[0] ?? '');
      const drafted = await call<ReleaseNotes>(options, 'POST', `/repos/${repo}/releases/notes`, {
        json: {
          commit: values.commit,
          ...(values.version !== undefined ? { version: values.version } : {}),
          ...(values.previous !== undefined ? { previousVersion: values.previous } : {}),
        },
      });
      if (command === 'next-version') {
        // for scripts: the version alone on stdout, or the reason on stderr and exit 1
        if (drafted.nextVersion === null) throw new CliError(drafted.reason, 1);
        return { json: drafted.nextVersion, human: drafted.nextVersion };
      }
      const range = `${drafted.range.from?.slice(0, 12) ?? '(root)'}..${drafted.range.to.slice(0, 12)}`;
      const head = [
        `# ${drafted.title}`,
        `range ${range}${drafted.range.previousVersion ? ` (since ${drafted.range.previousVersion})` : ''}`,
      ];
      return {
        json: drafted,
        human: [
          ...head,
          `next version: ${drafted.nextVersion ?? 'none'} (${drafted.reason})`,
          ...drafted.warnings,
          '',
          drafted.notes,
        ].join('\n'),
      };
    }
    case 'deploy': {
      need(3, '<repo> <version> <environment>');
      const [repoRef, version, environmentName] = args as [string, string, string];
      const timeoutMs = timeoutOf(values.timeout ?? '30m');
      if (values.timeout !== undefined && !values.wait) throw new CliError('--timeout goes with --wait', 2);
      const repo = await resolveRepo(options, repoRef);
      const release = await call<Release>(options, 'GET', `/repos/${repo}/releases/${encodeURIComponent(version)}`);
      const environment = await findEnvironment(options, repo, environmentName);
      // the resume point is taken before the deployment exists, so that no change of it can be missed
      const after = values.wait
        ? (await call<FeedPage>(options, 'GET', `/repos/${repo}/events?after=now`)).nextCursor
        : undefined;
      const deployment = await call<Deployment>(options, 'POST', `/repos/${repo}/releases/${release.id}/deployments`, {
        json: { environmentId: environment.id, ...(values.status ? { status: values.status } : {}) },
      });
      const line = (d: Deployment) => `deployment ${d.id}  ${release.version} → ${environment.name}  ${d.status}`;
      if (!values.wait || after === undefined) return { json: deployment, human: line(deployment) };
      if (!FINAL.has(deployment.status)) {
        process.stderr.write(`${line(deployment)}: waiting until it is final\n`);
      }
      const ended = FINAL.has(deployment.status)
        ? deployment
        : await waitForFinal(options, repo, deployment.id, after, timeoutMs);
      if (!ended) {
        throw new CliError(
          `deployment ${deployment.id} was not final after ${values.timeout ?? '30m'}; it goes on (see: gitweave-release history ${repoRef} ${environment.name})`,
          2,
        );
      }
      return { json: ended, human: line(ended), exitCode: FINAL.get(ended.status) };
    }
    case 'deployment': {
      if (args[0] !== 'finish' || args.length !== 3)
        throw new CliError(`deployment finish takes <id> <success|failed>\n\n${USAGE}`, 2);
      const deployment = await call<Deployment>(options, 'PATCH', `/deployments/${args[1]}`, {
        json: { status: args[2] },
      });
      return { json: deployment, human: `deployment ${deployment.id}  ${deployment.status}` };
    }
    case 'approve':
    case 'reject': {
      need(1, '<deployment>');
      const reviewed = await call<DeploymentDetail>(options, 'POST', `/deployments/${args[0]}/reviews`, {
        json: { decision: command, ...(values.comment !== undefined ? { comment: values.comment } : {}) },
      });
      const approvals = reviewed.reviews.filter((r) => r.decision === 'approve').length;
      return {
        json: reviewed,
        human: `deployment ${reviewed.id}  ${reviewed.version} → ${reviewed.environment.name}  ${reviewed.status}  (${approvals}/${reviewed.requiredApprovals} approvals)`,
      };
    }
    case 'rollback': {
      need(2, '<repo> <environment> --reason <text>');
      if (!values.reason) throw new CliError('rollback needs --reason <text>: the history keeps why', 2);
      const [repoRef, environment] = args as [string, string];
      const repo = await resolveRepo(options, repoRef);
      const done = await call<Deployment>(
        options,
        'POST',
        `/repos/${repo}/environments/${encodeURIComponent(environment)}/rollback`,
        { json: { reason: values.reason, ...(values.to !== undefined ? { to: values.to } : {}) } },
      );
      return {
        json: done,
        human: `rollback ${done.id}  ${done.environment.name} → ${done.version}  (replaces deployment ${done.rollbackOf})`,
      };
    }
    case 'history': {
      need(2, '<repo> <environment>');
      const [repoRef, environment] = args as [string, string];
      const repo = await resolveRepo(options, repoRef);
      const query = new URLSearchParams({ limit: '20' });
      if (values.status) query.set('status', values.status);
      if (values.kind) query.set('kind', values.kind);
      const page = await call<{ items: Deployment[] }>(
        options,
        'GET',
        `/repos/${repo}/environments/${encodeURIComponent(environment)}/deployments?${query}`,
      );
      const rows = [
        ['STARTED', 'VERSION', 'STATUS', 'KIND', 'BY', 'ID'],
        ...page.items.map((d) => [d.startedAt, d.version, d.status, d.kind, d.deployedBy.name, d.id]),
      ];
      return { json: page, human: page.items.length ? table(rows) : `no deployments in ${environment} yet` };
    }
    case 'download': {
      if (args.length !== 2 && args.length !== 3)
        throw new CliError(`download takes <repo> <version> [<name>]\n\n${USAGE}`, 2);
      const [repoRef, version, name] = args as [string, string, string | undefined];
      const repo = await resolveRepo(options, repoRef);
      const release = await call<Release>(options, 'GET', `/repos/${repo}/releases/${encodeURIComponent(version)}`);
      const chosen = name === undefined ? release.artifacts : release.artifacts.filter((a) => a.name === name);
      if (chosen.length === 0) {
        throw new CliError(
          name === undefined
            ? `release ${release.version} has no artifacts`
            : `release ${release.version} has no artifact named "${name}" (it has: ${release.artifacts.map((a) => a.name).join(', ') || 'none'})`,
        );
      }
      const names = chosen.map(fileNameOf);
      const twice = names.find((file, i) => names.indexOf(file) !== i);
      if (twice)
        throw new CliError(
          `release ${release.version} has two artifacts saved as "${twice}"; name the one to download`,
        );
      const dir = values.out ?? '.';
      await fs.promises.mkdir(dir, { recursive: true });
      const saved: { id: string; name: string; file: string; sizeBytes: number; sha256: string }[] = [];
      for (const artifact of chosen) {
        const file = await downloadArtifact(options, repo, artifact, dir);
        saved.push({
          id: artifact.id,
          name: artifact.name,
          file,
          sizeBytes: artifact.sizeBytes,
          sha256: artifact.sha256,
        });
      }
      return {
        json: saved,
        human: saved.map((a) => `${a.file}  ${a.sizeBytes} bytes  sha256 ${a.sha256}  verified`).join('\n'),
      };
    }
    case 'metrics': {
      need(1, '<repo> --environment <env>');
      if (!values.environment) throw new CliError('metrics needs --environment <env> (e.g. prod)', 2);
      const query = new URLSearchParams({ environment: values.environment });
      for (const key of ['from', 'to', 'bucket'] as const) {
        const value = values[key];
        if (value !== undefined) query.set(key, value);
      }
      const repo = await resolveRepo(options, args[0] ?? '');
      const metrics = await call<DeliveryMetrics>(options, 'GET', `/repos/${repo}/metrics?${query}`);
      return { json: metrics, human: metricsReport(metrics) };
    }
    case 'releases': {
      need(1, '<repo>');
      const repo = await resolveRepo(options, args[0] ?? '');
      const page = await call<{ items: ReleaseSummary[] }>(options, 'GET', `/repos/${repo}/releases?limit=20`);
      const rows = [
        ['VERSION', 'CREATED', 'ARTIFACTS', 'ID'],
        ...page.items.map((r) => [r.version, r.createdAt, String(r.artifactCount), r.id]),
      ];
      return { json: page, human: page.items.length ? table(rows) : 'no releases yet' };
    }
    case 'status': {
      need(1, '<repo>');
      const { view, environments } = await repoEnvironments(options, await resolveRepo(options, args[0] ?? ''));
      const rows = [
        ['ENVIRONMENT', 'VERSION', 'DEPLOYED', 'BY'],
        ...environments.map((e) => [
          `${e.name}${e.protected ? ' (protected)' : ''}`,
          e.current?.version ?? '-',
          e.current?.deployedAt ?? '-',
          e.current?.deployedBy.name ?? '-',
        ]),
      ];
      return { json: view, human: table(rows) };
    }
    case 'watch': {
      need(1, '<repo>');
      return watch(options, await resolveRepo(options, args[0] ?? ''), values.json, values.types);
    }
    case 'token':
      return tokenCommand(options, args, values);
    default:
      throw new CliError(`unknown command: ${command}\n\n${USAGE}`, 2);
  }
}

run(process.argv.slice(2)).then(
  (result) => {
    const json = process.argv.includes('--json');
    process.stdout.write(`${json ? JSON.stringify(result.json, null, 2) : result.human}\n`);
    if (result.exitCode) process.exitCode = result.exitCode;
  },
  (err: unknown) => {
    process.stderr.write(`gitweave-release: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof CliError ? err.exitCode : 1);
  },
);
