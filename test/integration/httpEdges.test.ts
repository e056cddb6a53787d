import { describe, expect, it } from 'vitest';
import { handler as createArtifact } from '../../functions/createArtifact';
import { handler as createRelease } from '../../functions/createRelease';
import { handler as listReleases } from '../../functions/listReleases';
import { sql } from '../../lib/infra/db';
import { apiEvent, invoke, lambdaContext } from '../helpers/events';
import { useWorld } from '../helpers/world';

// The handler as API Gateway (payload 2.0) calls it: repeated headers arrive joined by commas into one value.
const { pool, world } = useWorld();

const releases = () => ({ path: `/api/v1/repos/${world.repo.id}/releases`, pathParameters: { repo: world.repo.id } });

async function releaseCount(): Promise<number> {
  const [{ n }] = await pool.query(sql`SELECT count(*)::int AS n FROM releases WHERE repo_id = ${world.repo.id}`);
  return n;
}

describe('the HTTP edge, at the handler', () => {
  it('refuses two Authorization headers, joined by API Gateway, with a 400 that says so', async () => {
    const res = await invoke(listReleases, {
      ...releases(),
      headers: { authorization: `Bearer ${world.developer.token},Bearer ${world.releaseManager.token}` },
    });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body.errors).toEqual([{ path: '/headers/authorization', message: 'was sent more than once' }]);
  });

  it('refuses two Idempotency-Key headers, joined by API Gateway, with a 400 that says so, and writes nothing', async () => {
    const before = await releaseCount();
    const res = await invoke(createRelease, {
      ...releases(),
      token: world.developer.token,
      body: { version: '3.0.0' },
      headers: { 'idempotency-key': 'key-one,key-two' },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: '/headers/idempotency-key', message: 'was sent more than once' }]);
    expect(await releaseCount()).toBe(before);
  });

  it('answers a JSON body sent with no Content-Type with a 415', async () => {
    const event = apiEvent({ ...releases(), token: world.developer.token, body: '{"version":"3.0.1"}' });
    delete event.headers['content-type'];
    const res = await createRelease(event, lambdaContext());
    expect(res.statusCode).toBe(415);
    expect(JSON.parse(res.body!).detail).toBe(
      'The request body has no Content-Type: send Content-Type: application/json.',
    );
  });

  it('refuses a right-to-left override in an artifact name with a field error that names it', async () => {
    const res = await invoke(createArtifact, {
      path: `/api/v1/repos/${world.repo.id}/artifacts`,
      pathParameters: { repo: world.repo.id },
      token: world.developer.token,
      body: { name: 'evil\u202egzt.exe', path: 'x' },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      {
        path: '/body/name',
        message:
          'must not contain control characters, line or paragraph separators, or bidirectional overrides or isolates',
      },
    ]);
  });

  it('refuses a query parameter decoded from invalid UTF-8 (U+FFFD) with a 400 naming it', async () => {
    const res = await invoke(listReleases, {
      ...releases(),
      token: world.developer.token,
      query: { version: 'a\ufffd' },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { path: '/query/version', message: 'contains U+FFFD (the URL is not valid UTF-8)' },
    ]);
  });

  it('sends no CORS header to any Origin while CORS_ORIGINS is unset', async () => {
    const res = await invoke(listReleases, {
      ...releases(),
      token: world.developer.token,
      headers: { origin: 'https://evil.example' },
    });
    expect(res.status).toBe(200);
    expect(Object.keys(res.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
  });
});
