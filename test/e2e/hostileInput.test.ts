import fs from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from '../../lib/infra/db';
import { api, onServerDoor } from '../helpers/api';
import { orgWithMembers, testPool, writeBuildFile } from '../helpers/factories';

const pool = testPool();
let world: Awaited<ReturnType<typeof orgWithMembers>>;
let artifactId: string;

beforeAll(async () => {
  world = await orgWithMembers(pool);
  const file = writeBuildFile(world.repo.id, 'hostile/ok.bin', 'ok');
  artifactId = (
    await api('POST', `/repos/${world.repo.id}/artifacts`, {
      token: world.developer.token,
      json: { name: 'ok', path: file },
    })
  ).body.id;
  fs.symlinkSync('/etc', path.join(inject('artifactsDir'), `etc-link-${world.repo.id}`));
});
afterAll(() => pool.dispose());

async function rowCounts() {
  const [row] = await pool.query(sql`
    SELECT (SELECT count(*) FROM releases WHERE repo_id = ${world.repo.id})::int AS releases,
           (SELECT count(*) FROM artifacts WHERE repo_id = ${world.repo.id})::int AS artifacts`);
  return row;
}

const json = { 'content-type': 'application/json' };
const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
const sqlFragments = [
  "'; DROP TABLE releases; --",
  '" OR 1=1 --',
  "1' UNION SELECT token_hash FROM api_tokens --",
  '$1',
  '\\',
];

interface Case {
  name: string;
  method?: string;
  path: (repo: string) => string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  status: number;
}

const releases = (repo: string) => `/repos/${repo}/releases`;
const cursor = (parts: string[]) => Buffer.from(JSON.stringify(parts)).toString('base64url');
const anId = '00000000-0000-4000-8000-000000000000';
const nameWith = (name: string) => JSON.stringify({ name, path: 'x' });
const artifacts = (repo: string) => `/repos/${repo}/artifacts`;

const cases: Case[] = [
  { name: 'malformed JSON', path: releases, body: '{"version":"1.0.0",}', headers: json, status: 400 },
  { name: 'truncated JSON', path: releases, body: '{"version":"1.0', headers: json, status: 400 },
  { name: 'a JSON array', path: releases, body: '[{"version":"1.0.0"}]', headers: json, status: 400 },
  { name: 'a JSON string', path: releases, body: '"1.0.0"', headers: json, status: 400 },
  { name: 'JSON null', path: releases, body: 'null', headers: json, status: 400 },
  { name: 'a JSON number', path: releases, body: '42', headers: json, status: 400 },
  {
    name: 'text/plain',
    path: releases,
    body: '{"version":"1.0.0"}',
    headers: { 'content-type': 'text/plain' },
    status: 415,
  },
  {
    name: 'a form body',
    path: releases,
    body: 'version=1.0.0',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    status: 415,
  },
  {
    name: 'octet-stream to releases',
    path: releases,
    body: '{"version":"1.0.0"}',
    headers: { 'content-type': 'application/octet-stream' },
    status: 415,
  },
  // serverless-offline gives a request without Content-Type one of application/json before any handler runs
  ...(onServerDoor
    ? [
        {
          name: 'a JSON body with no Content-Type',
          path: releases,
          body: Buffer.from('{"version":"1.0.0"}'),
          status: 415,
        },
      ]
    : []),
  ...['application/problem+json', 'application/vnd.api+json', 'application/json; charset=iso-8859-1'].map((type) => ({
    name: `Content-Type: ${type}`,
    path: releases,
    body: '{"version":"1.0.0"}',
    headers: { 'content-type': type },
    status: 415,
  })),
  { name: 'an empty body', path: releases, body: '', headers: json, status: 400 },
  { name: 'whitespace only', path: releases, body: '   ', headers: json, status: 400 },
  {
    name: 'a body over 1 MiB',
    path: releases,
    body: JSON.stringify({ version: '1.0.0', notes: 'x'.repeat(1024 * 1024) }),
    headers: json,
    status: 413,
  },
  {
    name: 'JSON nested 100 deep',
    path: releases,
    body: `{"version":"1.0.0","notes":${deep(100)}}`,
    headers: json,
    status: 400,
  },
  { name: 'JSON nested 100,000 deep', path: releases, body: deep(100_000), headers: json, status: 400 },
  {
    name: 'NUL in a string',
    path: releases,
    body: '{"version":"1.0.0","notes":"a\\u0000b"}',
    headers: json,
    status: 400,
  },
  { name: 'NUL in a key', path: releases, body: '{"version":"1.0.0","a\\u0000":1}', headers: json, status: 400 },
  {
    name: 'a lone surrogate',
    path: releases,
    body: '{"version":"1.0.0","notes":"\\ud800"}',
    headers: json,
    status: 400,
  },
  {
    name: 'invalid UTF-8 bytes',
    path: releases,
    body: Buffer.concat([
      Buffer.from('{"version":"1.0.0","notes":"'),
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from('"}'),
    ]),
    headers: json,
    status: 400,
  },
  { name: 'an unknown field', path: releases, body: '{"version":"1.0.0","admin":true}', headers: json, status: 400 },
  {
    name: '__proto__',
    path: releases,
    body: '{"version":"1.0.0","__proto__":{"isAdmin":true}}',
    headers: json,
    status: 400,
  },
  {
    name: 'constructor',
    path: releases,
    body: '{"version":"1.0.0","constructor":{"prototype":{"x":1}}}',
    headers: json,
    status: 400,
  },
  { name: 'a number as version', path: releases, body: '{"version":1}', headers: json, status: 400 },
  { name: 'null as version', path: releases, body: '{"version":null}', headers: json, status: 400 },
  { name: 'a number as notes', path: releases, body: '{"version":"1.0.0","notes":5}', headers: json, status: 400 },
  {
    name: 'a string as artifactIds',
    path: releases,
    body: '{"version":"1.0.0","artifactIds":"abc"}',
    headers: json,
    status: 400,
  },
  {
    name: 'null in artifactIds',
    path: releases,
    body: '{"version":"1.0.0","artifactIds":[null]}',
    headers: json,
    status: 400,
  },
  {
    name: 'notes one over the limit',
    path: releases,
    body: JSON.stringify({ version: '1.0.0', notes: 'é'.repeat(5001) }),
    headers: json,
    status: 400,
  },
  ...['1', '1.0', '1.0.0.0', '01.0.0', '1.0.0-', '1.0.0+', 'v', 'vv1.0.0', '=1.0.0', '1.0.0 ', 'x.y.z', '１.０.０'].map(
    (v) => ({
      name: `the version ${JSON.stringify(v)}`,
      path: releases,
      body: JSON.stringify({ version: v }),
      headers: json,
      status: 400,
    }),
  ),
  ...sqlFragments.map((fragment) => ({
    name: `SQL in version: ${fragment}`,
    path: releases,
    body: JSON.stringify({ version: fragment }),
    headers: json,
    status: 400,
  })),
  ...sqlFragments.map((fragment) => ({
    name: `SQL in an artifact id: ${fragment}`,
    path: releases,
    body: JSON.stringify({ version: '1.0.0', artifactIds: [fragment] }),
    headers: json,
    status: 400,
  })),
  ...sqlFragments.map((fragment) => ({
    // none lies under the repo's builds/<repo>/, so each is refused before the volume is touched
    name: `SQL in an artifact path: ${fragment}`,
    path: artifacts,
    body: JSON.stringify({ name: 'x', path: fragment }),
    headers: json,
    status: 400,
  })),
  {
    name: 'unknown artifact ids',
    path: releases,
    body: JSON.stringify({ version: '1.0.0', artifactIds: ['00000000-0000-4000-8000-000000000000'] }),
    headers: json,
    status: 422,
  },
  { name: 'a repeated artifact id', path: releases, body: 'REPEATED', headers: json, status: 422 },
  {
    name: 'a ../ path',
    path: artifacts,
    body: '{"name":"x","path":"../../../etc/passwd"}',
    headers: json,
    status: 400,
  },
  {
    name: 'a ../ path in the middle',
    path: artifacts,
    body: '{"name":"x","path":"a/../../etc/passwd"}',
    headers: json,
    status: 400,
  },
  { name: 'an absolute path', path: artifacts, body: '{"name":"x","path":"/etc/passwd"}', headers: json, status: 400 },
  { name: 'a symlink out of the volume', path: artifacts, body: 'SYMLINK', headers: json, status: 400 },
  { name: 'a missing file', path: artifacts, body: 'MISSING', headers: json, status: 422 },
  {
    name: 'a control character in a name',
    path: artifacts,
    body: '{"name":"a\\u0007b","path":"x"}',
    headers: json,
    status: 400,
  },
  ...[
    ['a right-to-left override', 'evil\u202egzt.exe'],
    ['a bidi isolate', 'a\u2066b'],
    ['a line separator', 'a\u2028b'],
    ['a paragraph separator', 'a\u2029b'],
    ['a C1 control', 'a\u0085b'],
    ['DEL', 'a\u007fb'],
  ].map(([what, name]) => ({
    name: `${what} in a name`,
    path: artifacts,
    body: nameWith(name as string),
    headers: json,
    status: 400,
  })),
  {
    name: 'invalid UTF-8 in an upload name',
    path: (repo: string) => `/repos/${repo}/artifacts?name=a%FFb`,
    body: Buffer.from('x'),
    headers: { 'content-type': 'application/octet-stream' },
    status: 400,
  },
  {
    name: 'a right-to-left override in an upload name',
    path: (repo: string) => `/repos/${repo}/artifacts?name=evil%E2%80%AEgzt.exe`,
    body: Buffer.from('x'),
    headers: { 'content-type': 'application/octet-stream' },
    status: 400,
  },
  {
    name: 'an upload without a name',
    path: (repo) => `/repos/${repo}/artifacts`,
    body: Buffer.from('x'),
    headers: { 'content-type': 'application/octet-stream' },
    status: 400,
  },
  {
    name: 'an upload with a bad digest',
    path: (repo) => `/repos/${repo}/artifacts?name=x&sha256=zz`,
    body: Buffer.from('x'),
    headers: { 'content-type': 'application/octet-stream' },
    status: 400,
  },
  {
    name: 'a malformed repo id',
    path: () => '/repos/not-a-uuid/releases',
    body: '{"version":"1.0.0"}',
    headers: json,
    status: 400,
  },
  {
    name: 'SQL as a repo id',
    path: () => `/repos/${encodeURIComponent("1' OR '1'='1")}/releases`,
    body: '{"version":"1.0.0"}',
    headers: json,
    status: 400,
  },
  {
    name: 'an unknown repo',
    path: () => '/repos/00000000-0000-4000-8000-000000000000/releases',
    body: '{"version":"1.0.0"}',
    headers: json,
    status: 404,
  },
  { name: 'a limit of 0', method: 'GET', path: (repo) => `/repos/${repo}/releases?limit=0`, status: 400 },
  { name: 'a limit of 101', method: 'GET', path: (repo) => `/repos/${repo}/releases?limit=101`, status: 400 },
  { name: 'a negative limit', method: 'GET', path: (repo) => `/repos/${repo}/releases?limit=-1`, status: 400 },
  { name: 'a fractional limit', method: 'GET', path: (repo) => `/repos/${repo}/releases?limit=1.5`, status: 400 },
  { name: 'a word as limit', method: 'GET', path: (repo) => `/repos/${repo}/releases?limit=all`, status: 400 },
  { name: 'a garbage cursor', method: 'GET', path: (repo) => `/repos/${repo}/releases?cursor=%00%01`, status: 400 },
  {
    name: 'a forged cursor',
    method: 'GET',
    path: (repo) =>
      `/repos/${repo}/releases?cursor=${Buffer.from('["releases","2020-01-01T00:00:00.000Z","\' OR 1=1"]').toString('base64url')}`,
    status: 400,
  },
  {
    name: 'a cursor of another list',
    method: 'GET',
    path: (repo) =>
      `/repos/${repo}/artifacts?cursor=${Buffer.from('["releases","2020-01-01T00:00:00.000Z","00000000-0000-4000-8000-000000000000"]').toString('base64url')}`,
    status: 400,
  },
  {
    name: 'a version cursor with NUL in its key',
    method: 'GET',
    path: (repo) => `/repos/${repo}/releases?sort=version&cursor=${cursor(['releases-by-version', 'a\u0000b', anId])}`,
    status: 400,
  },
  ...['-271821-04-20T00:00:00.000Z', '+275760-09-13T00:00:00.000Z'].map((at) => ({
    name: `a cursor at ${at}`,
    method: 'GET',
    path: (repo: string) => `/repos/${repo}/releases?cursor=${cursor(['releases', at, anId])}`,
    status: 400,
  })),
  { name: 'an unknown query parameter', method: 'GET', path: (repo) => `/repos/${repo}/releases?limt=5`, status: 400 },
  {
    name: 'a bad version range',
    method: 'GET',
    path: (repo) => `/repos/${repo}/releases?version=${encodeURIComponent("'; DROP TABLE releases")}`,
    status: 400,
  },
  {
    name: 'a malformed release id',
    method: 'GET',
    path: (repo) => `/repos/${repo}/releases/..%2F..%2Fetc`,
    status: 400,
  },
  {
    name: 'a malformed artifact id',
    method: 'GET',
    path: (repo) => `/repos/${repo}/artifacts/1%20OR%201=1`,
    status: 400,
  },
];

describe('hostile input over HTTP', () => {
  it(`answers each of ${cases.length} hostile requests with a 4xx problem that says what was wrong, and writes nothing`, async () => {
    const before = await rowCounts();
    const failures: string[] = [];
    for (const c of cases) {
      let body = c.body;
      if (body === 'REPEATED') body = JSON.stringify({ version: '1.0.0', artifactIds: [artifactId, artifactId] });
      if (body === 'MISSING') body = JSON.stringify({ name: 'x', path: `builds/${world.repo.id}/no/such/file` });
      if (body === 'SYMLINK') body = JSON.stringify({ name: 'x', path: `etc-link-${world.repo.id}/passwd` });
      const res = await api(c.method ?? (body === undefined ? 'GET' : 'POST'), c.path(world.repo.id), {
        token: world.developer.token,
        ...(body !== undefined ? { body } : {}),
        headers: c.headers ?? {},
      });
      const problem =
        res.headers.get('content-type') === 'application/problem+json' &&
        typeof res.body.detail === 'string' &&
        res.body.detail.length > 10;
      if (res.status !== c.status || !problem)
        failures.push(`${c.name}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
    }
    expect(failures).toEqual([]);
    expect(await rowCounts()).toEqual(before);
  });
});

/** A request with real repeated header lines (fetch would join them itself), answered status and parsed body. */
function withRepeatedHeaders(
  method: string,
  path: string,
  headers: Record<string, string | string[]>,
  body?: string,
): Promise<{ status: number; type: string | undefined; body: { errors?: unknown } }> {
  return new Promise((resolve, reject) => {
    const req = request(`${inject('apiUrl')}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          type: res.headers['content-type'],
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

// serverless-offline keeps only the last of repeated headers, so the handlers cannot see that there were two
if (onServerDoor)
  describe('repeated headers over HTTP', () => {
    it('refuses two Authorization headers with a 400 that says it was sent twice', async () => {
      const res = await withRepeatedHeaders('GET', `/repos/${world.repo.id}/releases`, {
        authorization: [`Bearer ${world.developer.token}`, `Bearer ${world.releaseManager.token}`],
      });
      expect(res.status).toBe(400);
      expect(res.type).toBe('application/problem+json');
      expect(res.body.errors).toEqual([{ path: '/headers/authorization', message: 'was sent more than once' }]);
    });

    it('refuses two Idempotency-Key headers with a 400 that says it was sent twice, and writes nothing', async () => {
      const before = await rowCounts();
      const res = await withRepeatedHeaders(
        'POST',
        `/repos/${world.repo.id}/releases`,
        {
          authorization: `Bearer ${world.developer.token}`,
          'content-type': 'application/json',
          'idempotency-key': ['key-one', 'key-two'],
        },
        '{"version":"9.9.9"}',
      );
      expect(res.status).toBe(400);
      expect(res.type).toBe('application/problem+json');
      expect(res.body.errors).toEqual([{ path: '/headers/idempotency-key', message: 'was sent more than once' }]);
      expect(await rowCounts()).toEqual(before);
    });
  });

describe('what the hostile corpus must not catch', () => {
  it('takes Content-Type: APPLICATION/JSON as JSON: media types are case-insensitive', async () => {
    const res = await api('POST', releases(world.repo.id), {
      token: world.developer.token,
      body: '{"version":"7.0.0"}',
      headers: { 'content-type': 'APPLICATION/JSON; Charset=UTF-8' },
    });
    expect(res.status).toBe(201);
    expect(res.body.version).toBe('7.0.0');
  });

  it('accepts an upload of exactly 10 MiB', async () => {
    const res = await api('POST', `/repos/${world.repo.id}/artifacts?name=ten-mib.bin`, {
      token: world.developer.token,
      body: Buffer.alloc(10 * 1024 * 1024, 1),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(res.status).toBe(201);
    expect(res.body.sizeBytes).toBe(10 * 1024 * 1024);
  });

  // serverless-offline echoes any Origin, with credentials, after the handler has answered
  if (onServerDoor)
    it('answers an unlisted Origin with no CORS permission (CORS_ORIGINS is unset here)', async () => {
      const res = await api('GET', releases(world.repo.id), {
        token: world.developer.token,
        headers: { origin: 'https://evil.example' },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    });
});

// What npm start's server answers before any handler runs; serverless-offline (npm run dev) answers these with its
// own bodies, so they are checked on the server door
if (onServerDoor)
  describe('what the server meets first, over HTTP', () => {
    const problemOf = async (res: Response) => ({
      status: res.status,
      type: res.headers.get('content-type'),
      body: (await res.json()) as { status: number; detail: string },
    });

    it('refuses a JSON body over 1 MiB with a 413 problem', async () => {
      const before = await rowCounts();
      const res = await fetch(`${inject('apiUrl')}${releases(world.repo.id)}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${world.developer.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ version: '1.0.0', notes: 'x'.repeat(1024 * 1024) }),
      });
      expect(await problemOf(res)).toMatchObject({ status: 413, type: 'application/problem+json' });
      expect(await rowCounts()).toEqual(before);
    });

    it('answers a method the route does not take with a 405 problem and Allow', async () => {
      const res = await fetch(`${inject('apiUrl')}${releases(world.repo.id)}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${world.developer.token}` },
      });
      expect(res.headers.get('allow')).toBe('GET, POST, HEAD');
      expect(await problemOf(res)).toMatchObject({ status: 405, type: 'application/problem+json' });
    });

    it('answers bad percent-encoding in the path with a 400 problem', async () => {
      const res = await fetch(`${inject('apiUrl')}/repos/${world.repo.id}/releases/%E0%A4%A`, {
        headers: { authorization: `Bearer ${world.developer.token}` },
      });
      expect(await problemOf(res)).toMatchObject({ status: 400, type: 'application/problem+json' });
    });

    it('answers a 100 KiB header line with a 431 problem', async () => {
      const res = await fetch(`${inject('apiUrl')}/health`, { headers: { 'x-padding': 'a'.repeat(100 * 1024) } });
      expect(await problemOf(res)).toMatchObject({ status: 431, type: 'application/problem+json' });
    });

    it('answers an unknown route with a 404 problem that lists nothing', async () => {
      const res = await fetch(`${inject('apiUrl')}/no/such/route`);
      const problem = await problemOf(res);
      expect(problem).toMatchObject({ status: 404, type: 'application/problem+json' });
      expect(Object.keys(problem.body).sort()).toEqual(['detail', 'instance', 'status', 'title', 'type']);
    });
  });
