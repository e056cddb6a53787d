import http from 'node:http';
import net from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type Served } from '../../server/app';
import { routes as allRoutes } from '../../server/routes';

/** Every route of serverless.yml, each answered by a handler that returns the event it got, as JSON. */
const events: APIGatewayProxyEventV2[] = [];
async function echo(event: APIGatewayProxyEventV2) {
  events.push(event);
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json', 'X-Route': event.routeKey },
    cookies: ['a=1; Path=/', 'b=2'],
    body: JSON.stringify({ routeKey: event.routeKey, pathParameters: event.pathParameters }),
  };
}
// the routes' own contracts: the upload route (createArtifact) takes raw bodies of up to 10 MiB, every other JSON
const routes: Served[] = allRoutes().map((route) => ({ ...route, handler: echo }));
const app = createApp(routes, { headersTimeoutMs: 300, requestTimeoutMs: 600, timeoutCheckIntervalMs: 50 });
let base = '';
const repo = '0b7f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4';

beforeAll(async () => {
  await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(app.server.address() as net.AddressInfo).port}`;
});
afterAll(() => app.stop());

/** A raw HTTP/1.1 exchange, for what fetch will not send (repeated headers, lying lengths, slow clients). */
function raw(request: string | Buffer, options: { endAfterWrite?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect((app.server.address() as net.AddressInfo).port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString('utf8');
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
    socket.write(request);
    if (options.endAfterWrite) socket.end();
  });
}

function last(): APIGatewayProxyEventV2 {
  const event = events.at(-1);
  if (!event) throw new Error('no handler was called');
  return event;
}

describe('Server: the API Gateway payload 2.0 event', () => {
  it('lower-cases header names, comma-joins repeats and passes cookies apart', async () => {
    await raw(
      `GET /api/v1/repos/${repo}/releases?limit=5&tag=a&tag=b%20c HTTP/1.1\r\nHost: x\r\nX-Multi: one\r\nx-multi: two\r\n` +
        'Cookie: s=1; t=2\r\nConnection: close\r\n\r\n',
    );
    const event = last();
    expect(event.version).toBe('2.0');
    expect(event.routeKey).toBe('GET /api/v1/repos/{repo}/releases');
    expect(event.rawPath).toBe(`/api/v1/repos/${repo}/releases`);
    expect(event.rawQueryString).toBe('limit=5&tag=a&tag=b%20c');
    expect(event.queryStringParameters).toEqual({ limit: '5', tag: 'a,b c' });
    expect(event.pathParameters).toEqual({ repo });
    expect(event.headers['x-multi']).toBe('one,two');
    expect(event.headers.host).toBe('x');
    expect(event.headers.cookie).toBeUndefined();
    expect(event.cookies).toEqual(['s=1', 't=2']);
    expect(event.requestContext.http).toEqual({
      method: 'GET',
      path: `/api/v1/repos/${repo}/releases`,
      protocol: 'HTTP/1.1',
      sourceIp: '127.0.0.1',
      userAgent: '',
    });
    expect(event.requestContext.routeKey).toBe(event.routeKey);
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(Math.abs(event.requestContext.timeEpoch - Date.now())).toBeLessThan(60_000);
    expect(event.isBase64Encoded).toBe(false);
    expect(event.body).toBeUndefined();
  });

  it('decodes path parameters and passes a JSON body as text, any other body as base64', async () => {
    await fetch(`${base}/api/v1/repos/${repo}/releases`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"version":"1.0.0"}',
    });
    expect(last()).toMatchObject({ body: '{"version":"1.0.0"}', isBase64Encoded: false });
    const bytes = Buffer.from([0, 1, 2, 255]);
    await fetch(`${base}/api/v1/repos/${repo}/artifacts`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    expect(last()).toMatchObject({ body: bytes.toString('base64'), isBase64Encoded: true });
    await fetch(`${base}/api/v1/orgs/a%20b/environments/pr%C3%B6d`);
    expect(last().pathParameters).toEqual({ org: 'a b', environment: 'pröd' });
  });

  it('writes back the status, headers, cookies and body the handler returned', async () => {
    const response = await fetch(`${base}/api/v1/repos/${repo}/releases/latest`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-route')).toBe('GET /api/v1/repos/{repo}/releases/latest');
    expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2']);
    expect(await response.json()).toEqual({
      routeKey: 'GET /api/v1/repos/{repo}/releases/latest',
      pathParameters: { repo },
    });
  });
});

describe('Server: routing', () => {
  it('picks the most specific route, as API Gateway does (/releases/latest over /releases/{id})', async () => {
    await fetch(`${base}/api/v1/repos/${repo}/releases/latest`);
    expect(last().routeKey).toBe('GET /api/v1/repos/{repo}/releases/latest');
    await fetch(`${base}/api/v1/repos/${repo}/releases/1.2.3`);
    expect(last()).toMatchObject({
      routeKey: 'GET /api/v1/repos/{repo}/releases/{id}',
      pathParameters: { id: '1.2.3' },
    });
  });

  it('answers an unknown route with a 404 problem and a known path with another method with a 405 and Allow', async () => {
    const missing = await fetch(`${base}/api/v1/nothing-here`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    expect(await missing.json()).toMatchObject({ status: 404, title: 'Not Found' });
    const wrong = await fetch(`${base}/api/v1/repos/${repo}/releases`, { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, POST, HEAD');
    expect(await wrong.json()).toMatchObject({ status: 405, detail: expect.stringContaining('DELETE') });
  });

  it('answers a CORS preflight on a routed path through lib/http/cors, which allows no origin by default', async () => {
    const before = events.length;
    const response = await fetch(`${base}/api/v1/repos/${repo}/releases`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    expect(events.length).toBe(before);
  });

  it('answers a path with bad percent-encoding with a 400 problem, before any handler', async () => {
    const before = events.length;
    const response = await fetch(`${base}/api/v1/repos/%E0%A4%A/releases`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ status: 400, detail: expect.stringContaining('percent-encoding') });
    expect(events.length).toBe(before);
  });

  it('offers Lambda Invoke: the event as the body, the function result as the answer; a payload not an object is a 400', async () => {
    const event = { routeKey: 'GET /api/v1/health', rawPath: '/api/v1/health', headers: {} };
    const response = await fetch(`${base}/2015-03-31/functions/health/invocations`, {
      method: 'POST',
      body: JSON.stringify(event),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { statusCode: number }).statusCode).toBe(200);
    expect(last()).toMatchObject(event);
    for (const payload of ['null', '[]', '42', '{']) {
      const refused = await fetch(`${base}/2015-03-31/functions/health/invocations`, { method: 'POST', body: payload });
      expect({ payload, status: refused.status }).toEqual({ payload, status: 400 });
    }
  });
});

describe('Server: bodies and clients it refuses', () => {
  it('refuses a body over the function limit by its Content-Length, with a 413 problem, before reading it', async () => {
    const before = events.length;
    // the declared 11 MiB never come: the answer must not wait for them
    const answer = await raw(
      `POST /api/v1/repos/${repo}/artifacts HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n` +
        `Content-Length: ${11 * 1024 * 1024}\r\n\r\nabc`,
    );
    expect(answer).toMatch(/^HTTP\/1.1 413 /);
    expect(answer).toContain('application/problem+json');
    expect(answer).toContain(`larger than the limit of ${10 * 1024 * 1024} bytes`);
    expect(events.length).toBe(before);
  });

  it('refuses a chunked body as soon as it passes the limit (1 MiB for JSON)', async () => {
    const before = events.length;
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const request = http.request(`${base}/api/v1/repos/${repo}/releases`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
      });
      request.on('response', resolve);
      request.on('error', reject);
      const chunk = Buffer.alloc(256 * 1024, 0x20);
      for (let i = 0; i < 5; i++) request.write(chunk);
      request.end();
    });
    expect(response.statusCode).toBe(413);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(events.length).toBe(before);
  });

  it('calls no handler for a body cut short by the client', async () => {
    const before = events.length;
    await raw(
      `POST /api/v1/repos/${repo}/releases HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"version":`,
      { endAfterWrite: true },
    );
    expect(events.length).toBe(before);
  });

  it('answers a 100 KiB header line with a 431 problem', async () => {
    const answer = await raw(`GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100 * 1024)}\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1.1 431 /);
    expect(answer).toContain('"status":431');
  });

  it('answers a client that sends its headers too slowly with a 408 problem', async () => {
    const answer = await raw('GET /api/v1/health HTTP/1.1\r\nHost: x\r\n');
    expect(answer).toMatch(/^HTTP\/1.1 408 /);
    expect(answer).toContain('application/problem+json');
  });

  it('answers a malformed request line with a 400 problem', async () => {
    const answer = await raw('NOT-HTTP\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1.1 400 /);
    expect(answer).toContain('"status":400');
  });
});
