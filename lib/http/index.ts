import middy, { type MiddlewareObj } from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { JSONSchema } from 'json-schema-to-ts';
import type { Scope } from '../../schemas/tokens';
import type { Typed } from '../../schemas/typed';
import { authenticate, type User } from '../domain/identity';
import { config } from '../infra/config';
import { db } from '../infra/db';
import { BadRequest, Forbidden, PayloadTooLarge, Unauthorized, UnsupportedMediaType } from '../infra/errors';
import { isUuid } from '../infra/ids';
import { withAccessLog } from './accessLog';
import { withCors } from './cors';
import { fileResult, type StreamingDoor } from './download';
import { idempotency } from './idempotency';
import { problemDetails, requestIdOf } from './problem';
import { type HttpResponse, serialise } from './responses';
import { compileBody, compileParameters, fieldErrors } from './validation';

export { accepted, created, type HttpResponse, noContent, ok, okJson, pageHeaders } from './responses';

type Event = APIGatewayProxyEventV2;
type Result = APIGatewayProxyStructuredResultV2;

/** The largest JSON body any endpoint accepts. */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;
const MAX_JSON_DEPTH = 32;

export interface Spec<P, Q, B> {
  /** schema of the path parameters */
  params?: Typed<P>;
  /** schema of the query string parameters */
  query?: Typed<Q>;
  /** schema of the JSON body; without one, the endpoint takes no body */
  body?: Typed<B>;
  /**
   * the endpoint takes raw bytes of this content type, up to `maxBytes`, instead of JSON; `*` takes a body of any
   * type as bytes (GitHub's asset upload: the type is the asset's)
   */
  raw?: { contentType: string; maxBytes: number };
  /**
   * a GitHub-compatible endpoint (/api/v3, /api/uploads): its errors are GitHub's `{ message, documentation_url,
   * errors }` with GitHub's statuses (lib/http/github), `resource` naming what `errors` are about
   */
  github?: { docs: string; resource: string };
  /**
   * the scope a token needs to call this endpoint, checked right after authentication: read for every GET, release
   * for artifacts and releases, deploy for deployments, admin for environments; null: any token (the token endpoints,
   * which bound what they do by the caller's token themselves)
   */
  scope: Scope | null;
  /** the route, exactly as serverless.yml declares it (a test keeps the two equal): 'POST /api/v1/repos/{repo}/releases' */
  route: string;
  /** one line for the API document */
  summary: string;
  /** the success status and the schema of its body (null: no body), for the API document */
  success: { status: number; schema: JSONSchema | null };
  /** problem statuses this endpoint answers beyond those every endpoint of its kind can */
  problems?: number[];
  /** the success body is a file's bytes, of any media type, with ranges and revalidation (lib/http/download.ts) */
  download?: true;
  /**
   * false: the endpoint refuses an Idempotency-Key (400), since keeping its answer for replays would store what
   * must never be stored (a new token's secret)
   */
  idempotent?: false;
}

/** What the API document needs to know of an endpoint, as its handler carries it. */
export type Described = Pick<
  Spec<unknown, unknown, unknown>,
  | 'params'
  | 'query'
  | 'body'
  | 'raw'
  | 'route'
  | 'summary'
  | 'success'
  | 'problems'
  | 'idempotent'
  | 'github'
  | 'download'
> & {
  scope?: Scope | null;
  public?: boolean;
};

function describe<H extends object>(handler: H, description: Described): H & { api: Described } {
  return Object.assign(handler, { api: description });
}

export interface Request<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** the raw body, for endpoints with `raw` in their spec when it was sent raw (empty otherwise) */
  bytes: Buffer;
  /** true when the body came as raw bytes rather than JSON */
  raw: boolean;
  user: User;
  /** the request path as the client sent it (for Location and Link headers) */
  path: string;
  /** scheme, host and port the client called (`http://127.0.0.1:3000`), for the absolute URLs GitHub's bodies hold */
  origin: string;
  requestId: string;
  /** how long this invocation may still run (the Lambda context's remaining time; the server gives 29 s too) */
  remainingMs: () => number;
  /** a request header by lower-case name (repeats comma-joined, as API Gateway joins them) */
  header(name: string): string | undefined;
  /** true when a file body is streamed by the door (npm start's server), false where it must fit a Lambda response */
  streaming: boolean;
}

/** The scheme, host and port the client called, as the Host header (or API Gateway's domain) and the proxy say. */
function originOf(event: Event): string {
  const host = header(event, 'host') ?? event.requestContext?.domainName ?? 'localhost';
  const scheme = header(event, 'x-forwarded-proto')?.split(',')[0]?.trim() === 'https' ? 'https' : 'http';
  return `${scheme}://${host}`;
}

function header(event: Event, name: string): string | undefined {
  const headers = event.headers ?? {};
  return headers[name] ?? Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

/** The exact length of the body as sent: base64 is measured decoded, its `=` padding not counted. */
export function bodyBytes(event: Pick<Event, 'body' | 'isBase64Encoded'>): number {
  if (typeof event.body !== 'string') return 0;
  return Buffer.byteLength(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
}

/**
 * `Authorization: Bearer <token>` (or GitHub's `token <token>`) → the user, else 401; a token without the endpoint's
 * `scope` is a 403.
 */
function bearerAuth(scope: Scope | null): MiddlewareObj<Event, Result, Error, Context & { user?: User }> {
  return {
    before: async (request) => {
      const value = header(request.event, 'authorization');
      if (!value) throw new Unauthorized('This endpoint needs an API token: send Authorization: Bearer <token>.');
      // API Gateway joins a repeated header with commas, and a token never holds one: a comma means two headers
      if (value.includes(',')) {
        throw new BadRequest('The Authorization header was sent more than once; send exactly one.', [
          { path: '/headers/authorization', message: 'was sent more than once' },
        ]);
      }
      const match = /^(?:Bearer|token)\s+(\S+)\s*$/i.exec(value);
      if (!match?.[1])
        throw new Unauthorized('The Authorization header must be "Bearer <token>" (or "token <token>").');
      // the repo a request names is looked up with its token: one round trip for both; an org named by id is one
      // of the token's memberships or none
      const { repo, org } = request.event.pathParameters ?? {};
      const user = await authenticate(
        db(),
        match[1],
        repo && isUuid(repo) ? repo : undefined,
        org && isUuid(org) ? org : undefined,
      );
      if (!user) throw new Unauthorized('The API token is not valid, or has been revoked.');
      if (scope && !user.token.scopes.includes(scope)) {
        throw new Forbidden(
          `This endpoint needs a token with the ${scope} scope; the token you sent has ${user.token.scopes.join(', ')}.`,
        );
      }
      request.context.user = user;
    },
  };
}

/** An endpoint whose answer may not be kept says so, rather than let a client believe its retries are safe. */
function refuseIdempotencyKey(): MiddlewareObj<Event, Result, Error, Context> {
  return {
    before: async (request) => {
      if (header(request.event, 'idempotency-key') === undefined) return;
      throw new BadRequest(
        'This endpoint takes no Idempotency-Key: its answer holds a secret that is never stored, so it cannot be replayed. Send the request without one; if an answer is lost, revoke the token it made (GET /tokens lists it).',
        [{ path: '/headers/idempotency-key', message: 'is not accepted here' }],
      );
    },
  };
}

/**
 * What makes a string unstorable as sent: NUL (Postgres text cannot hold it), a lone surrogate (not Unicode; the
 * driver would silently replace it), or U+FFFD (what invalid UTF-8 in the body was decoded to on its way here).
 */
function stringProblem(value: string): string | null {
  if (value.includes('\u0000')) return 'NUL (\\u0000)';
  if (!(value as string & { isWellFormed(): boolean }).isWellFormed()) return 'unpaired UTF-16 surrogates';
  if (value.includes('\ufffd')) return 'U+FFFD (the body is not valid UTF-8)';
  return null;
}

/** Unstorable strings and absurd nesting are never a valid request: both are 400. */
function checkJsonShape(value: unknown): void {
  const stack: Array<[unknown, string, number]> = [[value, '', 0]];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [item, path, depth] = next;
    if (typeof item === 'string') {
      const problem = stringProblem(item);
      if (problem)
        throw new BadRequest(`Strings must not contain ${problem}.`, [
          { path: `/body${path}`, message: `contains ${problem}` },
        ]);
    } else if (item !== null && typeof item === 'object') {
      if (depth >= MAX_JSON_DEPTH)
        throw new BadRequest(`The request body is nested deeper than ${MAX_JSON_DEPTH} levels.`);
      for (const [key, child] of Object.entries(item)) {
        if (stringProblem(key)) throw new BadRequest(`Property names must not contain ${stringProblem(key)}.`);
        stack.push([child, `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, depth + 1]);
      }
    }
  }
}

/** The media type of the body, lowercased without parameters (media types are case-insensitive, RFC 9110 8.3.1). */
/**
 * Path and query parameters follow the rule of bodies: invalid UTF-8 in the URL, decoded to U+FFFD on the way
 * here, NUL or a lone surrogate is a 400 naming the parameter, never a stored replacement character.
 */
function checkParameterStrings(values: Record<string, string | undefined>, where: '/path' | '/query', label: string) {
  for (const [name, value] of Object.entries(values)) {
    const problem = value === undefined ? null : stringProblem(value);
    if (problem) {
      throw new BadRequest(`The ${label} ${name} must not contain ${problem.replace('the body', 'the URL')}.`, [
        { path: `${where}/${name}`, message: `contains ${problem.replace('the body', 'the URL')}` },
      ]);
    }
  }
}

function contentTypeOf(event: Event): string | undefined {
  return header(event, 'content-type')?.split(';')[0]?.trim().toLowerCase();
}

/**
 * Only `application/json`, in any case and with UTF-8 as the only charset, is JSON here; anything else, or a body
 * with no Content-Type, is a 415. The parser is then handed the one header it recognises, so its own, looser,
 * check (any `+json`, case-sensitive) never decides.
 */
function requireJson(event: Event): void {
  const value = header(event, 'content-type');
  if (value === undefined || value.trim() === '') {
    throw new UnsupportedMediaType('The request body has no Content-Type: send Content-Type: application/json.');
  }
  const [type, ...parameters] = value.split(';').map((part) => part.trim().toLowerCase());
  if (type !== 'application/json') {
    throw new UnsupportedMediaType(`The request body must be JSON: send Content-Type: application/json, not ${type}.`);
  }
  const charset = parameters.find((parameter) => parameter.startsWith('charset='));
  if (charset && charset.replace(/^charset="?|"$/g, '') !== 'utf-8') {
    throw new UnsupportedMediaType('JSON must be UTF-8: send Content-Type: application/json; charset=utf-8.');
  }
  const headers = Object.fromEntries(
    Object.entries(event.headers ?? {}).filter(([key]) => key.toLowerCase() !== 'content-type'),
  );
  event.headers = { ...headers, 'content-type': 'application/json' };
}

/** True when `event`'s body is the raw bytes `spec` takes (any body at all where it takes `*`). */
function takesRaw(spec: Pick<Spec<unknown, unknown, unknown>, 'raw'>, event: Event): boolean {
  if (!spec.raw) return false;
  if (spec.raw.contentType === '*') return true;
  return contentTypeOf(event) === spec.raw.contentType;
}

/**
 * The body of an endpoint that takes JSON, raw bytes (`spec.raw`), or either, told apart by Content-Type. JSON is
 * size-checked, then parsed by @middy/http-json-body-parser; raw bytes are size-checked and left for the handler.
 */
function requestBody(spec: Spec<unknown, unknown, unknown>): MiddlewareObj<Event, Result, Error, Context> {
  const json = httpJsonBodyParser();
  return {
    before: async (request) => {
      const { event } = request;
      if (spec.raw && (takesRaw(spec, event) || !spec.body)) {
        if (!takesRaw(spec, event)) {
          throw new UnsupportedMediaType(
            `Send the file as the request body with Content-Type: ${spec.raw.contentType}.`,
          );
        }
        if (bodyBytes(event) > spec.raw.maxBytes) {
          throw new PayloadTooLarge(`The file is larger than the limit of ${spec.raw.maxBytes} bytes.`);
        }
        // a body passed as text was decoded as UTF-8 on its way here: U+FFFD means bytes were lost
        if (!event.isBase64Encoded && event.body?.includes('\ufffd')) {
          throw new BadRequest(
            `The file arrived as text (Content-Type: ${contentTypeOf(event)}) and is not valid UTF-8, so its bytes would be altered: send it as application/octet-stream.`,
            [{ path: '/headers/content-type', message: 'send binary files as application/octet-stream' }],
          );
        }
        return;
      }
      if (bodyBytes(event) > MAX_JSON_BODY_BYTES) {
        throw new PayloadTooLarge(`The request body is larger than ${MAX_JSON_BODY_BYTES} bytes.`);
      }
      if (event.body === undefined || event.body === null || event.body === '') {
        throw new BadRequest('The request body is empty; send a JSON object.');
      }
      requireJson(event);
      await json.before?.(request as never);
      checkJsonShape(event.body);
    },
  };
}

function validator(schema: JSONSchema | undefined, compile: typeof compileBody, where: string, label: string) {
  if (schema === undefined) return (value: unknown) => value;
  const validate = compile(schema);
  return (value: unknown) => {
    if (!validate(value)) {
      const errors = fieldErrors(validate, where);
      const first = errors[0];
      throw new BadRequest(
        `Invalid ${label}${first ? `: ${first.path.slice(where.length) || '(root)'} ${first.message}` : ''}.`,
        errors,
      );
    }
    return value;
  };
}

/**
 * Wraps an endpoint in the one middy stack every handler uses: problem+json errors, bearer authentication,
 * Idempotency-Key on endpoints that take a body, body size limit, JSON parsing, AJV validation of path, query and body (compiled once, here at module load),
 * then `fn`, whose response is serialised with the common headers.
 */
export function http<P = undefined, Q = undefined, B = undefined>(
  spec: Spec<P, Q, B>,
  fn: (request: Request<P, Q, B>) => Promise<HttpResponse>,
) {
  config(); // a bad environment stops a function at load, naming the variable, rather than failing its requests
  const checkParams = validator(spec.params, compileParameters, '/path', 'path parameter');
  const checkQuery = validator(spec.query, compileParameters, '/query', 'query parameter');
  const checkBody = validator(spec.body, compileBody, '/body', 'request body');

  const takesBody = spec.body !== undefined || spec.raw !== undefined;
  let stack = middy<Event, Result, Error, Context & { user?: User }>();
  const retries = takesBody && spec.idempotent !== false ? idempotency() : undefined;
  if (retries) stack = stack.use(retries.keep);
  stack = stack.use(problemDetails(spec.github)).use(bearerAuth(spec.scope));
  if (retries) stack = stack.use(retries.claim);
  else if (takesBody) stack = stack.use(refuseIdempotencyKey());
  if (takesBody) stack = stack.use(requestBody(spec));
  const handler = withAccessLog(
    withCors(
      stack.handler(async (event, context) => {
        checkParameterStrings(event.pathParameters ?? {}, '/path', 'path parameter');
        checkParameterStrings(event.queryStringParameters ?? {}, '/query', 'query parameter');
        const params = checkParams({ ...(event.pathParameters ?? {}) });
        const query = checkQuery({ ...(event.queryStringParameters ?? {}) });
        const raw = takesRaw(spec, event);
        const body = spec.body && !raw ? checkBody(event.body) : undefined;
        const bytes =
          raw && typeof event.body === 'string'
            ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8')
            : Buffer.alloc(0);
        const requestId = requestIdOf(event, context);
        const user = context.user;
        if (!user) throw new Error('bearerAuth runs first and sets the user; reaching here without one is a bug');
        const streaming = (context as Partial<StreamingDoor>).streamsFiles === true;
        const response = await fn({
          params: params as P,
          query: query as Q,
          body: body as B,
          bytes,
          raw,
          user,
          path: event.rawPath ?? '',
          origin: originOf(event),
          requestId,
          remainingMs: () => context.getRemainingTimeInMillis(),
          header: (name) => header(event, name),
          streaming,
        });
        if (response.file) return fileResult({ ...response, file: response.file }, requestId, streaming);
        return serialise(response, requestId);
      }),
    ),
  );
  return describe(handler, spec);
}

/** An endpoint anyone may call (health, the OpenAPI document): problem+json errors, no token, no input. */
export function publicHttp(
  description: Pick<Described, 'route' | 'summary' | 'success' | 'problems'>,
  fn: (request: { requestId: string }) => Promise<HttpResponse>,
) {
  const handler = withAccessLog(
    withCors(
      middy<Event, Result, Error, Context>()
        .use(problemDetails())
        .handler(async (event, context) => {
          const requestId = requestIdOf(event, context);
          return serialise(await fn({ requestId }), requestId);
        }),
    ),
  );
  return describe(handler, { ...description, public: true });
}
