import { inject } from 'vitest';
import { conformanceChecker } from './openapiConformance';

let checker: Promise<ReturnType<typeof conformanceChecker>> | undefined;

/** Every response an e2e test receives is checked against the served OpenAPI document. */
async function conformance() {
  checker ??= fetch(`${inject('apiUrl')}/openapi.json`).then(async (res) =>
    conformanceChecker((await res.json()) as Parameters<typeof conformanceChecker>[0]),
  );
  return checker;
}

/**
 * True when this run's e2e tests go through npm start's server, false through serverless-offline (E2E_DOOR=offline).
 * The emulator differs from API Gateway in a few ways our handlers cannot undo (docs/operations.md, "Doors"); the tests of
 * those run on the server door only, each saying why beside it.
 */
export const onServerDoor = process.env.E2E_DOOR !== 'offline';

export interface ApiResponse {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: a test reads any field of a body and asserts the body whole
  body: any;
}

/** A real HTTP request to the server of this test run (npm start's, or serverless-offline with E2E_DOOR=offline). */
export async function api(
  method: string,
  path: string,
  options: { token?: string; json?: unknown; body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | Buffer | undefined = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${inject('apiUrl')}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body } : {}),
  });
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  const parsed = type.includes('json') && text ? JSON.parse(text) : text;
  const mismatch = (await conformance())(
    method,
    `/api/v1${path.split('?')[0]}`,
    response.status,
    response.headers.get('content-type'),
    parsed,
  );
  if (mismatch) throw new Error(`response does not conform to the OpenAPI document: ${mismatch}`);
  return { status: response.status, headers: response.headers, body: parsed };
}

/**
 * A GET of a file body over real HTTP (the download endpoint): the bytes as sent, a problem parsed, and the response
 * checked against the OpenAPI document like every other.
 */
export async function download(
  path: string,
  options: { token?: string; headers?: Record<string, string> } = {},
): Promise<ApiResponse & { bytes: Buffer }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(`${inject('apiUrl')}${path}`, { headers });
  const bytes = Buffer.from(await response.arrayBuffer());
  const type = response.headers.get('content-type') ?? '';
  const body = type.includes('json') && bytes.length ? JSON.parse(bytes.toString('utf8')) : bytes.toString('latin1');
  const mismatch = (await conformance())('GET', `/api/v1${path.split('?')[0]}`, response.status, type, body);
  if (mismatch) throw new Error(`response does not conform to the OpenAPI document: ${mismatch}`);
  return { status: response.status, headers: response.headers, body, bytes };
}
