import type { MiddlewareObj } from '@middy/core';
import type { Event, Result, StackContext } from './context';

/** True for a HEAD request: a GET route answers it (RFC 9110 9.3.2), with the GET's status and headers and no body. */
export function isHead(event: Event): boolean {
  return event.requestContext?.http?.method === 'HEAD';
}

/**
 * The GET's answer without its body: the status and headers a GET would get, Content-Length the size of the body it
 * would carry, and no bytes, whatever door sends it (npm start's server, serverless-offline, API Gateway). A file the
 * handler opened for a streaming door is closed here, unread.
 */
export function withoutBody(result: Result & { file?: { handle: { close(): Promise<void> } } }): Result {
  const headers = { ...(result.headers ?? {}) };
  if (result.file) {
    void result.file.handle.close();
  } else if (headers['content-length'] === undefined && typeof result.body === 'string') {
    headers['content-length'] = String(Buffer.byteLength(result.body, result.isBase64Encoded ? 'base64' : 'utf8'));
  }
  const { file: _file, body: _body, isBase64Encoded: _encoded, ...rest } = result;
  return { ...rest, headers, body: '' };
}

/** Answers a HEAD request as its GET, without the body: runs last, on success and on failure alike. */
export function head(): MiddlewareObj<Event, Result, Error, StackContext> {
  const strip = async (request: { event: Event; response: Result | undefined | null }) => {
    if (isHead(request.event) && request.response && typeof request.response === 'object') {
      request.response = withoutBody(request.response);
    }
  };
  return { after: strip, onError: strip };
}
