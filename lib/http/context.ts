import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { NamedRepoAccess, RepoAccess } from '../domain/access';
import type { User } from '../domain/identity';

export type Event = APIGatewayProxyEventV2;
export type Result = APIGatewayProxyStructuredResultV2;

/** The checked input of a request, as `input` (lib/http/input.ts) leaves it for the handler. */
interface Input {
  params: unknown;
  query: unknown;
  body: unknown;
  /** the raw body, for endpoints that take bytes (`raw` in their contract) when it was sent raw (empty otherwise) */
  bytes: Buffer;
  /** true when the body came as raw bytes rather than JSON */
  raw: boolean;
}

/**
 * The Lambda context as the middlewares of lib/http fill it in, each field by one of them, in the order of the stack
 * (lib/http/index.ts): nothing else is handed from one middleware to the next.
 */
export interface StackContext extends Context {
  /** set by the first step that asks (`requestIdOf`): the id every log line and the answer carry */
  requestId?: string;
  /** set by `authentication` */
  user?: User;
  /**
   * set by `authentication` when the path names a repo by id, by `repoMembership` when it names one by GitHub's
   * `{owner}/{repo}`: the caller's access to it (null: none)
   */
  repoAccess?: RepoAccess | NamedRepoAccess | null;
  /** set by `idempotency().claim`: the key of a first request, whose answer `keep` stores */
  idempotencyKey?: string;
  /** set by `idempotency().claim`: the stored answer of a repeated request, which the handler step sends instead */
  replay?: Result;
  /** set by `input` */
  input?: Input;
  /** set by the server of npm start, which streams file bodies itself (lib/http/download.ts) */
  streamsFiles?: true;
}

/** What an incoming X-Request-Id may be: 1 to 200 characters of letters, digits and `._~:@/+=-` (no space, no control). */
const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._~:@/+=-]{1,200}$/;

/** The client's X-Request-Id when it is one we accept (`ACCEPTED_REQUEST_ID`), else undefined: a new one is made. */
export function acceptedRequestId(given: string | undefined): string | undefined {
  return given !== undefined && ACCEPTED_REQUEST_ID.test(given) ? given : undefined;
}

/**
 * The request id a client can quote: its own X-Request-Id when acceptable (a proxy's or a caller's, so that one id
 * follows the request end to end), else the Lambda invocation's (serverless-offline's API Gateway id is a constant).
 * Decided once per request.
 */
export function requestIdOf(event: Event, context: Context): string {
  const stack = context as StackContext | undefined;
  if (stack?.requestId) return stack.requestId;
  const id =
    acceptedRequestId(event.headers?.['x-request-id']) ??
    context?.awsRequestId ??
    event.requestContext?.requestId ??
    'unknown';
  if (stack) stack.requestId = id;
  return id;
}
