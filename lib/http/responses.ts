import type { FileHandle } from 'node:fs/promises';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** Bytes `start` to `end` (inclusive) of an open file, as the body of a response; whoever sends it closes `handle`. */
export interface FileBody {
  handle: FileHandle;
  start: number;
  end: number;
}

/** What a handler returns: a status, a JSON body (or none) and extra headers; the HTTP layer serialises it. */
export interface HttpResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** a body that is already text, served with `headers['content-type']` as is */
  text?: string;
  /** a body read from a file (see lib/http/download.ts): streamed by npm start's server, base64 elsewhere */
  file?: FileBody;
}

export function ok(body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { status: 200, body, headers };
}

/** 200 with a body that is JSON text already (written by Postgres), sent as it is. */
export function okJson(text: string): HttpResponse {
  return { status: 200, text, headers: { 'content-type': 'application/json; charset=utf-8' } };
}

export function created(location: string, body: unknown): HttpResponse {
  return { status: 201, body, headers: { location } };
}

/** 202: the request is queued (a redelivery), and the body says what was queued. */
export function accepted(body: unknown): HttpResponse {
  return { status: 202, body };
}

export function noContent(): HttpResponse {
  return { status: 204 };
}

/** Headers on every response, success or problem. */
export function commonHeaders(requestId: string): Record<string, string> {
  return {
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    'x-request-id': requestId,
  };
}

export function serialise(response: HttpResponse, requestId: string): APIGatewayProxyStructuredResultV2 {
  // the same keys in the same order as { ...common, ...given }, without a spread's slow literal
  const headers: Record<string, string> = Object.assign(commonHeaders(requestId), response.headers);
  if (response.text !== undefined) return { statusCode: response.status, headers, body: response.text };
  if (response.body === undefined) return { statusCode: response.status, headers, body: '' };
  headers['content-type'] ??= 'application/json; charset=utf-8';
  return { statusCode: response.status, headers, body: JSON.stringify(response.body) };
}

/**
 * The `next` link of a list page, relative to the API, or no header on the last page. `path` is the raw path
 * of the request and `query` its validated parameters.
 */
export function pageHeaders(
  path: string,
  query: Record<string, unknown>,
  nextCursor: string | null,
): Record<string, string> {
  if (nextCursor === null) return {};
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && key !== 'cursor') params.set(key, String(value));
  }
  params.set('cursor', nextCursor);
  return { link: `<${path}?${params.toString()}>; rel="next"` };
}
