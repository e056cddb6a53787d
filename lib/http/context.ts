import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { RepoAccess } from '../domain/access';
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
  /** set by `authentication` */
  user?: User;
  /** set by `authentication` when the path names a repo by id: the caller's access to it (null: none) */
  repoAccess?: RepoAccess | null;
  /** set by `idempotency().claim`: the key of a first request, whose answer `keep` stores */
  idempotencyKey?: string;
  /** set by `idempotency().claim`: the stored answer of a repeated request, which the handler step sends instead */
  replay?: Result;
  /** set by `input` */
  input?: Input;
  /** set by the server of npm start, which streams file bodies itself (lib/http/download.ts) */
  streamsFiles?: true;
}

/** The request id a client can quote: the Lambda invocation's (serverless-offline's API Gateway id is a constant). */
export function requestIdOf(event: Event, context: Context): string {
  return context?.awsRequestId ?? event.requestContext?.requestId ?? 'unknown';
}
