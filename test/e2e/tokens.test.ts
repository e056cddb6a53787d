import { describe, expect, it } from 'vitest';
import { api } from '../helpers/api';
import { useWorld } from '../helpers/world';

const { world } = useWorld();

describe('scoped tokens over HTTP', () => {
  it('creates a read-only token, uses it within and outside its scope, lists it without its secret, and deletes it', async () => {
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const created = await api('POST', '/tokens', {
      token: world.developer.token,
      json: { name: 'dashboard', scopes: ['read'], expiresAt },
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      token: expect.stringMatching(/^gwr_/),
      name: 'dashboard',
      scopes: ['read'],
      expiresAt,
    });
    const readOnly = created.body.token as string;

    expect((await api('GET', `/repos/${world.repo.id}/releases`, { token: readOnly })).status).toBe(200);
    const refused = await api('POST', `/repos/${world.repo.id}/releases`, {
      token: readOnly,
      json: { version: '9.9.9' },
    });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(refused.body.detail).toBe(
      'This endpoint needs a token with the release scope; the token you sent has read.',
    );

    const listed = await api('GET', '/tokens', { token: readOnly });
    expect(listed.status).toBe(200);
    expect(listed.body.items).toContainEqual({
      id: created.body.id,
      name: 'dashboard',
      scopes: ['read'],
      createdAt: expect.any(String),
      expiresAt,
      lastUsedAt: expect.any(String),
    });
    expect(JSON.stringify(listed.body)).not.toContain('gwr_');

    const deleted = await api('DELETE', `/tokens/${created.body.id}`, { token: world.developer.token });
    expect(deleted.status).toBe(204);
    const after = await api('GET', `/repos/${world.repo.id}/releases`, { token: readOnly });
    expect(after.status).toBe(401);
    expect(after.body.detail).toBe('The API token is not valid, or has been revoked.');
  });

  it('refuses an unknown scope with a 422 problem naming it', async () => {
    const res = await api('POST', '/tokens', {
      token: world.developer.token,
      json: { name: 'typo', scopes: ['raed'] },
    });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([
      { path: '/body/scopes/0', message: '"raed" is not a scope (read, release, deploy, admin)' },
    ]);
  });
});
