import type { MiddlewareObj } from '@middy/core';
import { config } from '../infra/config';
import type { Event, Result, StackContext } from './context';

type Allowed = '*' | readonly string[];

// the headers a browser client needs to read: where a created thing is, the next page, the id to quote, replays,
// and a download's name, digests and range
const EXPOSED =
  'location, link, x-request-id, idempotent-replayed, retry-after, content-disposition, etag, repr-digest, content-range, accept-ranges';
const ALLOWED_METHODS = 'GET, POST, PATCH, DELETE';
// x-request-id: a browser client may send its own id, which the answer, the logs and the problem's instance carry
const ALLOWED_HEADERS = 'authorization, content-type, idempotency-key, range, if-none-match, if-range, x-request-id';

function originOf(event: Event): string | undefined {
  return event.headers?.origin;
}

/**
 * The CORS headers of a response to a request from `origin`: none unless CORS_ORIGINS lists it (or is `*`). Never
 * `access-control-allow-credentials`: the API takes bearer tokens, not cookies, so a browser never needs it.
 */
export function corsHeaders(
  origin: string | undefined,
  allowed: Allowed = config().corsOrigins,
): Record<string, string> {
  if (allowed === '*')
    return origin ? { 'access-control-allow-origin': '*', 'access-control-expose-headers': EXPOSED } : {};
  if (allowed.length === 0) return {};
  // the answer depends on Origin, so a shared cache must key on it
  if (!origin || !allowed.includes(origin)) return { vary: 'origin' };
  return { 'access-control-allow-origin': origin, 'access-control-expose-headers': EXPOSED, vary: 'origin' };
}

/** Adds the CORS headers of the request's Origin to whatever the endpoint answered, problems and replays included. */
export function cors(allowed: Allowed = config().corsOrigins): MiddlewareObj<Event, Result, Error, StackContext> {
  const add = async (request: { event: Event; response: Result | null | undefined }) => {
    const response = request.response;
    if (!response) return;
    const headers = corsHeaders(originOf(request.event), allowed);
    if (Object.keys(headers).length === 0) return;
    const vary = response.headers?.vary;
    request.response = {
      ...response,
      headers: {
        ...response.headers,
        ...headers,
        ...(vary && headers.vary ? { vary: `${vary}, ${headers.vary}` } : {}),
      },
    };
  };
  return { after: add, onError: add };
}

/**
 * The answer to a CORS preflight (`OPTIONS` with Access-Control-Request-Method), for the door that serves the API:
 * 204, with permission only for a listed origin. No function is routed for OPTIONS, so the server answers with this.
 */
export function preflight(event: Event, allowed: Allowed = config().corsOrigins): Result {
  const cors = corsHeaders(originOf(event), allowed);
  if (!cors['access-control-allow-origin']) return { statusCode: 204, headers: cors, body: '' };
  return {
    statusCode: 204,
    headers: {
      ...cors,
      'access-control-allow-methods': ALLOWED_METHODS,
      'access-control-allow-headers': ALLOWED_HEADERS,
      'access-control-max-age': '600',
    },
    body: '',
  };
}
