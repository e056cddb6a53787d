import type { JSONSchema } from 'json-schema-to-ts';
import { problem } from '../../schemas/common';
import type { Contract } from '../../schemas/contract';

const PHRASES: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  206: 'Partial Content',
  304: 'Not Modified',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

type Schema = Exclude<JSONSchema, boolean> & { properties?: Record<string, JSONSchema>; required?: readonly string[] };

/** The problem statuses an endpoint can answer, from what it takes, plus the ones it declares. */
function problemStatuses(api: Contract): number[] {
  const statuses = new Set<number>([500, 503]);
  if (api.scope !== 'public') for (const s of [400, 401]) statuses.add(s);
  if (api.scope && api.scope !== 'public') statuses.add(403);
  if (api.params) statuses.add(404);
  if (api.body || api.raw) for (const s of [409, 413, 415, 422]) statuses.add(s);
  for (const s of api.problems ?? []) statuses.add(s);
  return [...statuses].sort();
}

function parameters(schema: JSONSchema | undefined, location: 'path' | 'query') {
  const object = schema as Schema | undefined;
  return Object.entries(object?.properties ?? {}).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || (object?.required ?? []).includes(name),
    ...((property as Schema).description ? { description: (property as Schema).description } : {}),
    schema: property,
  }));
}

const text = (description: string) => ({ description, schema: { type: 'string' } });

/** The headers of a file body (lib/http/download.ts), and the file itself: bytes of whatever type it was stored as. */
const FILE_HEADERS = {
  'Content-Length': text('bytes in this response'),
  'Content-Disposition': text("attachment, with the artifact's name (RFC 6266, filename*)"),
  ETag: text('the SHA-256 of the whole file, quoted'),
  'Repr-Digest': text('sha-256=:<base64>: of the whole file (RFC 9530)'),
  'Accept-Ranges': text('bytes'),
};
const FILE_CONTENT = { '*/*': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } };

/** The responses and request headers of an endpoint that serves a file, beside its problems. */
function downloadOperation() {
  return {
    responses: {
      '200': { description: 'the whole file', headers: FILE_HEADERS, content: FILE_CONTENT },
      '206': {
        description: 'one byte range of the file',
        headers: { ...FILE_HEADERS, 'Content-Range': text('bytes first-last/size') },
        content: FILE_CONTENT,
      },
      '304': { description: 'If-None-Match named this ETag', headers: { ETag: FILE_HEADERS.ETag } },
    },
    parameters: [
      ['Range', 'one range, bytes=first-last, bytes=first- or bytes=-suffix; several ranges are answered whole'],
      ['If-None-Match', 'ETags the client holds: 304 when one is this file'],
      ['If-Range', 'an ETag: the Range is honoured only while the file is still this one'],
    ].map(([name, description]) => ({ name, in: 'header', required: false, description, schema: { type: 'string' } })),
  };
}

/**
 * The OpenAPI 3.1 document of the API, built from the contracts (route, schemas of its path, query, body and success
 * response, scope), so the schemas in schemas/ stay the one source; no handler is loaded to build it.
 */
export function buildOpenApi(contracts: Record<string, Contract>, version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [operationId, api] of Object.entries(contracts)) {
    const { method, path } = api;
    const problems = Object.fromEntries(
      problemStatuses(api).map((status) => [
        String(status),
        {
          description: PHRASES[status] ?? 'Problem',
          content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
        },
      ]),
    );
    const success = {
      description: PHRASES[api.success.status] ?? 'Success',
      ...(api.success.schema ? { content: { 'application/json': { schema: api.success.schema } } } : {}),
      ...(api.success.status === 201
        ? { headers: { Location: { description: 'the URL of what was created', schema: { type: 'string' } } } }
        : {}),
    };
    const body: Record<string, unknown> = {};
    if (api.body) body['application/json'] = { schema: api.body };
    if (api.raw) body[api.raw.contentType] = { schema: { type: 'string', contentMediaType: api.raw.contentType } };
    const headerParameters =
      (api.body || api.raw) && api.idempotent !== false
        ? [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              description: 'retry safely: a repeat gets the first response',
              schema: { type: 'string', maxLength: 255 },
            },
          ]
        : [];
    const download = api.download ? downloadOperation() : { responses: {}, parameters: [] };
    paths[path] ??= {};
    paths[path][method.toLowerCase()] = {
      operationId,
      summary: api.summary,
      parameters: [
        ...parameters(api.params, 'path'),
        ...parameters(api.query, 'query'),
        ...headerParameters,
        ...download.parameters,
      ],
      ...(Object.keys(body).length ? { requestBody: { required: true, content: body } } : {}),
      responses: { [String(api.success.status)]: success, ...download.responses, ...problems },
      // a bearer token's "scopes" here are the one scope it must carry (OpenAPI 3.1 allows them for any scheme)
      security: api.scope === 'public' ? [] : [{ bearer: api.scope ? [api.scope] : [] }],
      ...(api.scope && api.scope !== 'public' ? { 'x-required-scope': api.scope } : {}),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'GitWeave Releases',
      version,
      description: 'Releases of repositories, their artifacts, and deployments of releases to environments.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description:
            'an API token (gwr_…) with scopes: read (every GET), release (artifacts, releases), deploy (deployments), admin (environments); a token without the scope an operation lists is a 403',
        },
      },
      schemas: { Problem: problem },
    },
  };
}
