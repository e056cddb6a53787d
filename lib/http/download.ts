import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Artifact } from '../../schemas/artifacts';
import { openArtifactContent } from '../domain/downloads';
import type { Queryable } from '../infra/db';
import { Conflict, RangeNotSatisfiable, ResponseTooLarge } from '../infra/errors';
import { type FileBody, type HttpResponse, serialise } from './responses';

/**
 * What the server of `npm start` adds to the Lambda context it hands a handler: it writes a file body itself, from
 * the open file, so the handler returns the file rather than its bytes. Lambda and serverless-offline never set it.
 */
export interface StreamingDoor {
  streamsFiles: true;
}

/**
 * The largest file body a door without streaming answers with: Lambda's synchronous response payload is at most
 * 6 MB (6,291,456 bytes) and base64 adds a third, so 4 MiB (5,592,408 bytes encoded) leaves room for the headers.
 */
export const MAX_BUFFERED_FILE_BYTES = 4 * 1024 * 1024;

type Range = { start: number; end: number; open: boolean };

/**
 * The one byte range of a `Range` header (RFC 9110 14.1.2), clamped to the file; 'unsatisfiable' when it starts at
 * or past the end (or is an empty suffix); null, so that the whole file is sent, when there is no header or one we
 * ignore as RFC 9110 14.2 allows: another unit, a malformed or backwards range, or several ranges (we send no
 * multipart/byteranges; the whole file is one answer that serves them all).
 */
function parseRange(value: string | undefined, size: number): Range | 'unsatisfiable' | null {
  const match = value === undefined ? null : /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(value);
  if (!match) return null;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return null;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1, open: false };
  }
  const start = Number(first);
  const end = last === '' ? Number.POSITIVE_INFINITY : Number(last);
  if (end < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(end, size - 1), open: last === '' };
}

/** Whether an `If-None-Match` list names `etag` (weak comparison, RFC 9110 13.1.2) or is `*`. */
function noneMatch(value: string | undefined, etag: string): boolean {
  if (value === undefined) return false;
  if (value.trim() === '*') return true;
  return value.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/** Content-Disposition for a download named `name` (RFC 6266): an ASCII fallback, and the name itself in filename*. */
function contentDisposition(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

export interface DownloadRequest {
  /** a header of the request, by lower-case name */
  header(name: string): string | undefined;
  /** true on a door that streams file bodies (StreamingDoor); false where the body must fit the response whole */
  streaming: boolean;
}

/**
 * The answer to a download of `artifact`'s bytes: 304 for an `If-None-Match` that names its ETag (before the file is
 * even opened), 416 for a range past its end, 206 for one byte range (unless an `If-Range` names another ETag), else
 * 200 with the whole file; with its digests (ETag, Repr-Digest of the whole file), name and type. The file is checked
 * first (lib/domain/downloads: 409 when altered). On a door that cannot stream, more than MAX_BUFFERED_FILE_BYTES is a
 * 413 that tells the client to ask for ranges; an open range (`bytes=N-`) is cut to that size instead, as a 206 may.
 */
export async function artifactDownload(
  db: Queryable,
  artifact: Artifact,
  request: DownloadRequest,
): Promise<HttpResponse> {
  const etag = `"${artifact.sha256}"`;
  const cache = { etag, 'cache-control': 'private, no-cache' };
  if (noneMatch(request.header('if-none-match'), etag)) return { status: 304, headers: cache };
  const size = artifact.sizeBytes;
  const ifRange = request.header('if-range');
  let range = ifRange === undefined || ifRange.trim() === etag ? parseRange(request.header('range'), size) : null;
  if (range === 'unsatisfiable') {
    throw new RangeNotSatisfiable(
      `The range ${request.header('range')} starts at or past the end of this ${size}-byte file.`,
      size,
    );
  }
  const limit = request.streaming ? Number.POSITIVE_INFINITY : MAX_BUFFERED_FILE_BYTES;
  if (range?.open && range.end - range.start + 1 > limit) range = { ...range, end: range.start + limit - 1 };
  const length = range ? range.end - range.start + 1 : size;
  if (length > limit) {
    throw new ResponseTooLarge(
      `This artifact is ${size} bytes and this server answers at most ${limit} bytes at once (the Lambda response limit): ask for it in parts with Range: bytes=0-${limit - 1}, bytes=${limit}-${2 * limit - 1}, … (or bytes=N-, which is cut to that size).`,
    );
  }
  const content = await openArtifactContent(db, artifact);
  return {
    status: range ? 206 : 200,
    headers: {
      ...cache,
      'content-type': artifact.contentType,
      'content-length': String(length),
      'content-disposition': contentDisposition(artifact.name),
      'repr-digest': `sha-256=:${Buffer.from(artifact.sha256, 'hex').toString('base64')}:`,
      'accept-ranges': 'bytes',
      ...(range ? { 'content-range': `bytes ${range.start}-${range.end}/${size}` } : {}),
    },
    file: { handle: content.handle, start: range?.start ?? 0, end: range ? range.end : size - 1 },
  };
}

type Result = APIGatewayProxyStructuredResultV2 & { file?: FileBody };

/**
 * The result of a response with a file body: on a streaming door, the headers with the file beside them for the
 * server to pipe; elsewhere, the bytes read now, base64 as Lambda's payload wants them. Closes the file when it reads it.
 */
export async function fileResult(response: HttpResponse & { file: FileBody }, requestId: string, streaming: boolean) {
  const { file, ...rest } = response;
  const head: Result = serialise({ ...rest, text: '' }, requestId);
  if (streaming) return { ...head, file };
  try {
    const length = Math.max(0, file.end - file.start + 1);
    const buffer = Buffer.alloc(length);
    for (let read = 0; read < length; ) {
      const { bytesRead } = await file.handle.read(buffer, read, length - read, file.start + read);
      if (bytesRead === 0) throw new Conflict('The file was cut short on the artifacts volume while it was read.');
      read += bytesRead;
    }
    return { ...head, body: buffer.toString('base64'), isBase64Encoded: true };
  } finally {
    await file.handle.close();
  }
}
