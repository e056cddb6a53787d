import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { api } from '../helpers/api';
import { useWorld } from '../helpers/world';

// A UUID is the same id in either case (RFC 9562 compares them case-insensitively): ids in paths are taken in
// their canonical lower case, so that an uppercase repo id names the same repo, its uploads land where the
// lowercase id's do, and a cursor issued under one casing is accepted under the other.
const { world } = useWorld();

describe('ids in paths in either case', () => {
  it('resolves an uppercase repo id to the same repo', async () => {
    const lower = await api('GET', `/repos/${world.repo.id}/releases`, { token: world.developer.token });
    const upper = await api('GET', `/repos/${world.repo.id.toUpperCase()}/releases`, {
      token: world.developer.token,
    });
    expect(upper.status).toBe(200);
    expect(upper.body).toEqual(lower.body);
  });

  it('stores an upload named by an uppercase repo id under the lowercase id', async () => {
    const made = await api('POST', `/repos/${world.repo.id.toUpperCase()}/artifacts?name=casing.bin`, {
      token: world.releaseManager.token,
      body: Buffer.from(`bytes of ${world.repo.id}`),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(made.status).toBe(201);
    expect(made.body.repoId).toBe(world.repo.id);
    expect(made.body.path).toMatch(new RegExp(`^repos/${world.repo.id}/`));
    expect(fs.existsSync(path.join(inject('artifactsDir'), made.body.path))).toBe(true);
    expect(fs.existsSync(path.join(inject('artifactsDir'), 'repos', world.repo.id.toUpperCase()))).toBe(false);
  });

  it("accepts a feed cursor issued under one casing of the repo's id under the other", async () => {
    for (const [from, to] of [
      [world.repo.id, world.repo.id.toUpperCase()],
      [world.repo.id.toUpperCase(), world.repo.id],
    ]) {
      const first = await api('GET', `/repos/${from}/events?after=now`, { token: world.developer.token });
      expect(first.status).toBe(200);
      const next = await api('GET', `/repos/${to}/events?after=${encodeURIComponent(first.body.nextCursor)}`, {
        token: world.developer.token,
      });
      expect(next.status).toBe(200);
    }
  });
});
