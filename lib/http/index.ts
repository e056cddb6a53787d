import middy, { type MiddlewareObj } from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { Context } from 'aws-lambda';
import type { Contract } from '../../schemas/contract';
import type { Scope } from '../../schemas/tokens';
import type { NamedRepoAccess, RepoAccess } from '../domain/access';
import type { User } from '../domain/identity';
import { config } from '../infra/config';
import { accessLog } from './accessLog';
import { authentication, repoMembership } from './authentication';
import { requestBody } from './bodies';
import { type Event, type Result, requestIdOf, type StackContext } from './context';
import { cors } from './cors';
import { fileResult } from './download';
import { head } from './head';
import { hostHeader, validHost } from './host';
import { idempotency, refuseIdempotencyKey } from './idempotency';
import { input } from './input';
import { pathIds } from './pathIds';
import { problemDetails } from './problem';
import { type HttpResponse, serialise } from './responses';

export { accepted, created, type HttpResponse, noContent, ok, okJson, pageHeaders } from './responses';

/** What a handler is given: its contract's checked input, who calls, and what it needs of the request. */
export interface Request<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** the raw body, for endpoints with `raw` in their contract when it was sent raw (empty otherwise) */
  bytes: Buffer;
  /** true when the body came as raw bytes rather than JSON */
  raw: boolean;
  /** the request path as the client sent it (for Location and Link headers) */
  path: string;
  /** where clients reach the API (PUBLIC_URL, `http://127.0.0.1:3000`), for the absolute URLs GitHub's bodies hold */
  origin: string;
  requestId: string;
  /** how long this invocation may still run (the Lambda context's remaining time; the server gives 29 s too) */
  remainingMs: () => number;
  /** a request header by lower-case name (repeats comma-joined, as API Gateway joins them) */
  header(name: string): string | undefined;
  /** true when a file body is streamed by the door (npm start's server), false where it must fit a Lambda response */
  streaming: boolean;
}

/**
 * Who calls, as authentication resolved it: nobody on a public endpoint; on a repo's routes, the caller's access (with
 * the names, where the path names the repo as GitHub does: `{owner}/{repo}`).
 */
type Caller<S, A, P> = (S extends 'public' ? unknown : { user: User }) &
  (A extends 'repo' ? { repo: P extends { owner: string; repo: string } ? NamedRepoAccess : RepoAccess } : unknown);

/**
 * Where clients reach the API, for the absolute URLs GitHub's bodies and Link headers hold: PUBLIC_URL, never the
 * request's Host (a client could make our URLs point anywhere, upload_url included, where Octokit sends the token).
 * Behind a proxy we are told to trust (TRUST_PROXY), its X-Forwarded-Proto and X-Forwarded-Host (first values) win.
 */
function originOf(event: Event): string {
  const { publicUrl, trustProxy } = config();
  if (!trustProxy) return publicUrl;
  const configured = new URL(publicUrl);
  const proto = event.headers?.['x-forwarded-proto']?.split(',')[0]?.trim().toLowerCase();
  const host = event.headers?.['x-forwarded-host']?.split(',')[0]?.trim();
  const scheme = proto === 'https' || proto === 'http' ? proto : configured.protocol.slice(0, -1);
  const path = configured.pathname.replace(/\/+$/, '');
  return `${scheme}://${host && validHost(host) ? host : configured.host}${path}`;
}

type Middleware = MiddlewareObj<Event, Result, Error, StackContext>;

/**
 * The one stack every endpoint runs in, built from its contract: each concern one middleware, in this order
 * (docs/request-lifecycle.md draws it, and a test holds the two equal). Each step runs only where its contract needs it;
 * the `before` hooks run top to bottom, then the handler, then the `after` (or `onError`) hooks bottom to top, so the
 * first steps are the last to see the answer.
 */
export function stack(contract: Contract): Array<{ step: string; middleware: Middleware }> {
  const takesBody = contract.body !== undefined || contract.raw !== undefined;
  const retries = takesBody && contract.idempotent !== false ? idempotency() : undefined;
  const steps: Array<[string, Middleware | undefined]> = [
    ['headers', httpHeaderNormalizer() as Middleware],
    ['head', head()],
    ['access log', accessLog()],
    ['cors', cors()],
    ['idempotency: keep', retries?.keep],
    ['problem details', problemDetails(contract.github)],
    ['host', hostHeader()],
    ['path ids', pathIds()],
    ['authentication', contract.scope === 'public' ? undefined : authentication(contract.scope as Scope | null)],
    ['body', takesBody ? requestBody(contract) : undefined],
    ['input', input(contract)],
    ['repo membership', contract.access === 'repo' ? repoMembership() : undefined],
    ['idempotency: claim', retries?.claim ?? (takesBody ? refuseIdempotencyKey() : undefined)],
  ];
  return steps.flatMap(([step, middleware]) => (middleware ? [{ step, middleware }] : []));
}

/**
 * The handler of the endpoint `contract` declares: `fn` gets the checked input and the caller (see `stack` for the
 * order of everything around it) and returns a status and a body, which are serialised here.
 */
export function http<P, Q, B, S extends Scope | null | 'public', A extends 'repo' | undefined>(
  contract: Contract<P, Q, B, S, A>,
  fn: (request: Request<P, Q, B> & Caller<S, A, P>) => Promise<HttpResponse>,
) {
  config(); // a bad environment stops a function at load, naming the variable, rather than failing its requests
  const handler = middy<Event, Result, Error, StackContext>()
    .use(stack(contract as Contract).map(({ middleware }) => middleware))
    .handler(async (event: Event, context: StackContext): Promise<Result> => {
      if (context.replay) return context.replay;
      const requestId = requestIdOf(event, context);
      const given = context.input;
      if (!given) throw new Error('the input step runs before the handler; reaching here without it is a bug');
      const streaming = context.streamsFiles === true;
      // the fields named one by one: a literal that starts with a spread is built slowly (Node 20's V8 took
      // microseconds per request for this one and the Lambda context's, bench:compare's profiles)
      const request = {
        params: given.params as P,
        query: given.query as Q,
        body: given.body as B,
        bytes: given.bytes,
        raw: given.raw,
        user: context.user,
        // with the names where the path names the repo as GitHub does (`Caller` says which; `repo membership` finds it)
        repo: (context.repoAccess ?? undefined) as NamedRepoAccess | undefined,
        path: event.rawPath ?? '',
        origin: originOf(event),
        requestId,
        remainingMs: () => context.getRemainingTimeInMillis(),
        header: (name: string) => event.headers?.[name],
        streaming,
      } as Request<P, Q, B> & Caller<S, A, P>;
      const response = await fn(request);
      if (response.file) return fileResult({ ...response, file: response.file }, requestId, streaming);
      return serialise(response, requestId);
    });
  // the contract it serves stays readable on the handler, for tools and tests (the server routes by the contracts)
  return Object.assign(handler as (event: Event, context: Context) => Promise<Result>, { contract });
}
