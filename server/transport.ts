import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline, Transform } from 'node:stream';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { acceptedRequestId } from '../lib/http/context';
import { type GithubEndpoint, renderGithubError } from '../lib/http/github';
import { renderProblem } from '../lib/http/problem';
import type { FileBody } from '../lib/http/responses';
import { type HttpProblem, PayloadTooLarge } from '../lib/infra/errors';
import { log } from '../lib/infra/log';

// The bytes between Node's http and a handler: a request's body read within its limits, an answer (JSON or a file,
// sent in chunks with its length held to what was said) written back, and the path's percent-encoding checked.

export type Result = APIGatewayProxyResultV2 & { file?: FileBody };

/** The request's id where no handler gives one: the client's X-Request-Id when acceptable, else a new one. */
export function requestIdOfRaw(req: IncomingMessage | undefined): string {
  const given = req?.headers['x-request-id'];
  return acceptedRequestId(typeof given === 'string' ? given : undefined) ?? randomUUID();
}

export function sendProblem(res: ServerResponse, problem: HttpProblem, close = false, github?: GithubEndpoint): void {
  const requestId = requestIdOfRaw(res.req);
  // a route of the GitHub-compatible surface answers in GitHub's shape, as its handler would
  const rendered = github ? renderGithubError(problem, requestId, github) : renderProblem(problem, requestId);
  const headers: Record<string, string> = { ...(rendered.headers as Record<string, string>) };
  if (close) headers.connection = 'close';
  // said outright, so that a HEAD's answer (whose body Node leaves out) still tells the GET's length
  headers['content-length'] = String(Buffer.byteLength(rendered.body ?? ''));
  res.writeHead(problem.status, headers).end(rendered.body);
}

// read-ahead per download: fewer, larger reads than Node's 64 KiB default; memory stays flat (bench/download.ts)
const FILE_CHUNK_BYTES = 1024 * 1024;

/** Passes bytes through, and fails at the end when fewer than `expected` came (a file cut short while it was read). */
function exactly(expected: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _, done) {
      seen += chunk.length;
      done(null, chunk);
    },
    flush(done) {
      done(seen === expected ? null : new Error(`the file ended after ${seen} of ${expected} bytes`));
    },
  });
}

/**
 * Pipes a file body (lib/http/download.ts) to the client from the handle the handler opened: backpressure holds the
 * reads to what the socket takes, and the handle is closed when the file is sent, fails, or the client goes away. A
 * file cut short on the volume ends the connection, so that the client sees a failure rather than waiting for bytes.
 */
function sendFile(res: ServerResponse, file: FileBody, requestId: string | undefined): void {
  if (file.end < file.start) {
    res.end();
    void file.handle.close();
    return;
  }
  const stream = file.handle.createReadStream({ start: file.start, end: file.end, highWaterMark: FILE_CHUNK_BYTES });
  pipeline(stream, exactly(file.end - file.start + 1), res, (err) => {
    if (err && err.code !== 'ERR_STREAM_PREMATURE_CLOSE') log().warn({ requestId, err }, 'a file download stopped');
  });
}

/**
 * Writes what a handler returned, as API Gateway would: status, headers, cookies, and a text or base64 body, or the
 * file body a handler hands the streaming door.
 */
export function sendResult(res: ServerResponse, result: Result): void {
  if (typeof result !== 'object' || result === null || !('statusCode' in result)) {
    // a bare value is a 200 with that value as JSON (the payload 2.0 format's inferred response)
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
    return;
  }
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name.toLowerCase()] = String(value);
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  if (result.file) {
    res.writeHead(result.statusCode ?? 200, headers);
    sendFile(res, result.file, headers['x-request-id'] as string | undefined);
    return;
  }
  const body = result.body === undefined ? '' : result.body;
  res.writeHead(result.statusCode ?? 200, headers).end(result.isBase64Encoded ? Buffer.from(body, 'base64') : body);
}

/**
 * Reads a request body up to `limit` bytes. A larger one is refused from its Content-Length before any of it is
 * read, or as soon as it passes the limit when it is chunked; null means it was refused (the 413 is sent).
 */
export function readBody(
  req: IncomingMessage,
  res: ServerResponse,
  limit: number,
  github?: GithubEndpoint,
): Promise<Buffer | undefined | null> {
  const tooLarge = () => new PayloadTooLarge(`The request body is larger than the limit of ${limit} bytes.`);
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    // answered at once; a body up to twice the limit is then read and dropped on a connection kept open, so that a
    // client that sends it all before reading (fetch, Octokit) sees the 413 rather than a reset; a larger one is cut
    sendProblem(res, tooLarge(), Number(declared) > 2 * limit, github);
    req.resume();
    return Promise.resolve(null);
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        if (!res.headersSent) sendProblem(res, tooLarge(), true, github);
        req.destroy();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(size === 0 ? undefined : Buffer.concat(chunks, size)));
    // a client that goes away mid-body gets no answer, and its request reaches no handler
    req.on('aborted', () => resolve(null));
    req.on('error', () => resolve(null));
  });
}

export function validPercentEncoding(path: string): boolean {
  if (!path.includes('%')) return true;
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}
