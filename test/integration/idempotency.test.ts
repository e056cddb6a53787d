import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { handler as createRelease } from '../../functions/createRelease';
import { sql } from '../../lib/infra/db';
import { invoke } from '../helpers/events';
import { useWorld } from '../helpers/world';

const { pool, world } = useWorld();

function create(version: string, key: string, token = world.developer.token, notes?: string) {
  return invoke(createRelease, {
    path: `/api/v1/repos/${world.repo.id}/releases`,
    pathParameters: { repo: world.repo.id },
    body: { version, ...(notes ? { notes } : {}) },
    headers: { 'idempotency-key': key },
    token,
  });
}

async function releasesWithVersion(version: string): Promise<number> {
  const [{ n }] = await pool.query(
    sql`SELECT count(*)::int AS n FROM releases WHERE repo_id = ${world.repo.id} AND version = ${version}`,
  );
  return n;
}

describe('Idempotency-Key on POST', () => {
  it('answers a repeat with the first response, marked as replayed, without a second write', async () => {
    const key = randomUUID();
    const first = await create('1.0.0', key);
    const again = await create('1.0.0', key);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.location).toBe(first.headers.location);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(await releasesWithVersion('1.0.0')).toBe(1);
  });

  it('replays a 4xx answer too', async () => {
    await create('1.1.0', randomUUID());
    const key = randomUUID();
    const conflict = await create('1.1.0', key);
    const again = await create('1.1.0', key);
    expect(conflict.status).toBe(409);
    expect(again).toMatchObject({ status: 409, body: conflict.body });
  });

  it('refuses the same key with a different body with 422', async () => {
    const key = randomUUID();
    expect((await create('1.2.0', key)).status).toBe(201);
    const other = await create('1.2.1', key);
    expect(other.status).toBe(422);
    expect(other.body.detail).toContain('Idempotency-Key');
    expect(await releasesWithVersion('1.2.1')).toBe(0);
  });

  it('scopes keys to the caller', async () => {
    const key = randomUUID();
    expect((await create('1.3.0', key, world.developer.token)).status).toBe(201);
    const theirs = await create('1.3.0', key, world.releaseManager.token);
    expect(theirs.status).toBe(409); // ran for the second caller, and met the first caller's release
    expect(theirs.headers['idempotent-replayed']).toBeUndefined();
  });

  it('makes one write of concurrent requests with one key, and gives each the same answer', async () => {
    const key = randomUUID();
    const answers = await Promise.all(Array.from({ length: 10 }, () => create('1.4.0', key)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(201));
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(await releasesWithVersion('1.4.0')).toBe(1);
  });

  it('forgets a key after 24 hours', async () => {
    const key = randomUUID();
    expect((await create('1.5.0', key)).status).toBe(201);
    await pool.query(sql`UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = ${key}`);
    const later = await create('1.5.0', key);
    expect(later.status).toBe(409);
    expect(later.headers['idempotent-replayed']).toBeUndefined();
  });

  it('refuses a key that is not printable ASCII with 400', async () => {
    const res = await create('1.6.0', 'has space');
    expect(res.status).toBe(400);
    expect(await releasesWithVersion('1.6.0')).toBe(0);
  });
});
