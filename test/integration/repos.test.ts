import { beforeAll, describe, expect, it } from 'vitest';
import { handler as listRepos } from '../../functions/listRepos';
import { addMember, createRepo } from '../../lib/domain/orgs';
import { invoke } from '../helpers/events';
import { useWorld } from '../helpers/world';

const { pool, world } = useWorld();
let second: Awaited<ReturnType<typeof createRepo>>;

beforeAll(async () => {
  second = await createRepo(pool, world.org.slug, 'api');
  // the developer of world.org is also a release manager of the other org
  await addMember(pool, world.otherOrg.slug, world.developer.id, 'release_manager');
});

const list = (token: string, query?: Record<string, string>) =>
  invoke(listRepos, { path: '/api/v1/repos', token, ...(query ? { query } : {}) });

describe('listing the repos of the caller', () => {
  it("lists every repo of every org the caller is in, by org slug and name, with the caller's role in each org", async () => {
    const res = await list(world.developer.token);
    expect(res.status).toBe(200);
    const mine = { id: world.org.id, slug: world.org.slug };
    const other = { id: world.otherOrg.id, slug: world.otherOrg.slug };
    // orgWithMembers names orgs org-… and other-…, so world.org sorts first
    expect(res.body).toEqual({
      items: [
        { id: second.id, name: 'api', org: mine, role: 'developer' },
        { id: world.repo.id, name: 'app', org: mine, role: 'developer' },
        { id: world.otherRepo.id, name: 'app', org: other, role: 'release_manager' },
      ],
      nextCursor: null,
    });
  });

  it('shows nothing of an org the caller is not in', async () => {
    const res = await list(world.outsider.token);
    expect(res.body.items.map((repo: { id: string }) => repo.id)).toEqual([world.otherRepo.id]);
  });

  it('pages with a cursor and a Link header', async () => {
    const first = await list(world.developer.token, { limit: '2' });
    expect(first.body.items).toHaveLength(2);
    expect(first.headers.link).toBe(`</api/v1/repos?limit=2&cursor=${first.body.nextCursor}>; rel="next"`);
    const rest = await list(world.developer.token, { limit: '2', cursor: first.body.nextCursor });
    expect(rest.body).toEqual({ items: [expect.objectContaining({ id: world.otherRepo.id })], nextCursor: null });
  });

  it('answers 400 to a cursor it did not issue and 401 without a token', async () => {
    const forged = Buffer.from(JSON.stringify(['repos', 'x\u0000', 'app'])).toString('base64url');
    const bad = await list(world.developer.token, { cursor: forged });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ path: '/query/cursor', message: 'is not a cursor this list issued' }]);
    expect((await invoke(listRepos, { path: '/api/v1/repos' })).status).toBe(401);
  });
});
