import { describe, expect, it } from 'vitest';
import { api } from '../helpers/api';
import { useWorld } from '../helpers/world';

// Over HTTP: the feeds and repos by name, each response checked against the OpenAPI document (api()).
const { world } = useWorld();

describe('the event feeds over HTTP', () => {
  it('long-polls until a release is published, then pages on from nextCursor', async () => {
    const feed = `/repos/${world.repo.id}/events`;
    const start = await api('GET', `${feed}?after=now`, { token: world.developer.token });
    expect(start.status).toBe(200);
    const waiting = api('GET', `${feed}?after=${start.body.nextCursor}&wait=20`, { token: world.developer.token });
    const made = await api('POST', `/repos/${world.repo.id}/releases`, {
      token: world.developer.token,
      json: { version: '1.0.0' },
    });
    expect(made.status).toBe(201);
    const page = await waiting;
    expect(page.status).toBe(200);
    // the waiting request may have been answered by the first page that has the event: read on until it is there
    let items = page.body.items;
    let cursor = page.body.nextCursor;
    while (items.length === 0) {
      const next = await api('GET', `${feed}?after=${cursor}&wait=20`, { token: world.developer.token });
      items = next.body.items;
      cursor = next.body.nextCursor;
    }
    expect(items).toEqual([
      {
        id: expect.any(String),
        type: 'release.created',
        occurredAt: expect.any(String),
        actor: { id: world.developer.id, name: 'dev' },
        org: { id: world.org.id, slug: world.org.slug },
        repo: { id: world.repo.id, name: 'app' },
        resource: made.body,
      },
    ]);
    const org = await api('GET', `/orgs/${world.org.slug}/events?types=release.created&wait=20`, {
      token: world.developer.token,
    });
    expect(org.body.items.map((e: { id: string }) => e.id)).toEqual([items[0].id]);
  });

  it('answers a forged cursor with a 400 problem, and an org the caller is not in with a 404', async () => {
    const forged = await api('GET', `/repos/${world.repo.id}/events?after=abc`, { token: world.developer.token });
    expect(forged.status).toBe(400);
    expect(forged.headers.get('content-type')).toBe('application/problem+json');
    const hidden = await api('GET', `/orgs/${world.org.slug}/events`, { token: world.outsider.token });
    expect(hidden.status).toBe(404);
  });

  it('finds a repo by org and name', async () => {
    const found = await api('GET', `/orgs/${world.org.slug}/repos/app`, { token: world.developer.token });
    expect(found.body).toEqual({
      id: world.repo.id,
      name: 'app',
      org: { id: world.org.id, slug: world.org.slug },
      role: 'developer',
    });
  });
});
