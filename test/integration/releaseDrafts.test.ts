import { sql } from '@databases/pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { handler as createArtifact } from '../../functions/createArtifact';
import { handler as createDeployment } from '../../functions/createDeployment';
import { handler as createRelease } from '../../functions/createRelease';
import { handler as deleteArtifact } from '../../functions/deleteArtifact';
import { handler as deleteRelease } from '../../functions/deleteRelease';
import { handler as getLatestRelease } from '../../functions/getLatestRelease';
import { handler as getRelease } from '../../functions/getRelease';
import { handler as ghGetReleaseByTag } from '../../functions/ghGetReleaseByTag';
import { handler as ghGraphql } from '../../functions/ghGraphql';
import { handler as ghListReleases } from '../../functions/ghListReleases';
import { handler as listDeployments } from '../../functions/listDeployments';
import { handler as listReleases } from '../../functions/listReleases';
import { handler as repoEvents } from '../../functions/repoEvents';
import { handler as updateRelease } from '../../functions/updateRelease';
import { environmentsOf } from '../helpers/deployments';
import { invoke } from '../helpers/events';
import { tokenWith, writeBuildFile } from '../helpers/factories';
import { useWorld } from '../helpers/world';

// Drafts, edits and deletes of releases through the native handlers, on a real Postgres: what a draft reserves and
// who sees it, what publishing freezes, what a deployment fixes for good, and the races between them.
const { pool, world } = useWorld();
let reader: string;
let devEnv: string;
let counter = 0;
const nextVersion = () => `3.${Date.now() % 100000}.${counter++}`;

beforeAll(async () => {
  reader = (await tokenWith(pool, world.developer.id, ['read'])).token;
  devEnv = (await environmentsOf(pool, world.org.id)).dev!.id;
});

const releasePath = (id = '') => `/api/v1/repos/${world.repo.id}/releases${id ? `/${id}` : ''}`;

function create(body: Record<string, unknown>, token = world.developer.token) {
  return invoke(createRelease, { path: releasePath(), pathParameters: { repo: world.repo.id }, body, token });
}

function get(id: string, token = world.developer.token) {
  return invoke(getRelease, { path: releasePath(id), pathParameters: { repo: world.repo.id, id }, token });
}

function patch(id: string, body: Record<string, unknown>, token = world.developer.token) {
  return invoke(updateRelease, {
    method: 'PATCH',
    path: releasePath(id),
    pathParameters: { repo: world.repo.id, id },
    body,
    token,
  });
}

function remove(id: string, token = world.developer.token) {
  return invoke(deleteRelease, {
    method: 'DELETE',
    path: releasePath(id),
    pathParameters: { repo: world.repo.id, id },
    token,
  });
}

function deploy(id: string) {
  return invoke(createDeployment, {
    path: `${releasePath(id)}/deployments`,
    pathParameters: { repo: world.repo.id, id },
    body: { environmentId: devEnv },
    token: world.developer.token,
  });
}

async function artifact(name: string) {
  const file = writeBuildFile(world.repo.id, `${Math.random()}/${name}`, `contents of ${name}`);
  const res = await invoke(createArtifact, {
    pathParameters: { repo: world.repo.id },
    body: { name, path: file },
    token: world.developer.token,
  });
  expect(res.status).toBe(201);
  return res.body as { id: string; name: string };
}

/** The types of the events recorded about release `id`, in the order they were written. */
async function eventsOf(id: string): Promise<string[]> {
  const rows = await pool.query(sql`
    SELECT type FROM events WHERE resource->>'id' = ${id} AND type LIKE 'release.%' ORDER BY txid, seq`);
  return rows.map((row) => row.type);
}

describe('a draft release', () => {
  it('reserves its version, is not published, and shows draft: true with no publishedAt', async () => {
    const version = nextVersion();
    const res = await create({ version, draft: true, title: 'Coming soon' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ version, draft: true, publishedAt: null, title: 'Coming soon' });
    const again = await create({ version });
    expect([again.status, again.body.detail]).toEqual([
      409,
      `Version ${version} has already been released in this repo.`,
    ]);
    expect(await eventsOf(res.body.id)).toEqual(['release.created']);
  });

  it('is the 404 of an unknown release to a reader, and listed only for those who may create releases', async () => {
    const version = nextVersion();
    const { body: draft } = await create({ version, draft: true });
    const unknown = await get('9.9.9-unknown', reader);
    const asReader = await get(draft.id, reader);
    expect([asReader.status, asReader.body.title]).toEqual([404, unknown.body.title]);
    expect((await get(version, reader)).status).toBe(404);
    expect((await get(draft.id)).body.draft).toBe(true);
    const listed = async (token: string) => {
      const res = await invoke(listReleases, {
        path: releasePath(),
        pathParameters: { repo: world.repo.id },
        query: { limit: '100' },
        token,
      });
      return res.body.items.map((item: { id: string }) => item.id);
    };
    expect(await listed(reader)).not.toContain(draft.id);
    expect(await listed(world.developer.token)).toContain(draft.id);
    const deploymentsOf = (token: string) =>
      invoke(listDeployments, { pathParameters: { repo: world.repo.id, id: draft.id }, token });
    expect((await deploymentsOf(reader)).status).toBe(404);
    expect((await deploymentsOf(world.developer.token)).body.items).toEqual([]);
  });

  it('is never the latest release, even with the highest version', async () => {
    const published = await create({ version: '900.0.0' });
    const draft = await create({ version: '901.0.0', draft: true });
    const latest = await invoke(getLatestRelease, {
      pathParameters: { repo: world.repo.id },
      token: world.developer.token,
    });
    expect(latest.body.id).toBe(published.body.id);
    expect(latest.body.id).not.toBe(draft.body.id);
  });

  it('cannot be deployed: a 409 that says to publish it first', async () => {
    const { body: draft } = await create({ version: nextVersion(), draft: true });
    const res = await deploy(draft.id);
    expect(res.status).toBe(409);
    expect(res.body.detail).toContain('is a draft: publish it');
    expect((await pool.query(sql`SELECT 1 FROM deployments WHERE release_id = ${draft.id}`)).length).toBe(0);
  });

  it('changes its version, commit, title, notes and artifacts (replacing them), then publishes and freezes', async () => {
    const [a, b, c] = [await artifact('a.tgz'), await artifact('b.tgz'), await artifact('c.tgz')];
    const { body: draft } = await create({ version: nextVersion(), draft: true, artifactIds: [a.id, b.id] });
    const version = nextVersion();
    const edited = await patch(draft.id, { version: `v${version}`, commit: 'main', notes: 'n', artifactIds: [c.id] });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ id: draft.id, version, commit: 'main', notes: 'n', draft: true });
    expect(edited.body.artifacts.map((x: { name: string }) => x.name)).toEqual(['c.tgz']);
    const published = await patch(version, { draft: false, title: 'Final' });
    expect(published.status).toBe(200);
    expect(published.body).toMatchObject({ draft: false, title: 'Final', publishedAt: expect.stringMatching(/Z$/) });
    expect(await eventsOf(draft.id)).toEqual(['release.created', 'release.updated', 'release.published']);
    // published: the version, commit and artifacts are fixed; title and notes are not
    const frozen = await patch(draft.id, { version: nextVersion(), commit: 'other', artifactIds: [], draft: true });
    expect(frozen.status).toBe(422);
    expect(frozen.body.errors.map((e: { path: string }) => e.path)).toEqual([
      '/body/version',
      '/body/commit',
      '/body/artifactIds',
      '/body/draft',
    ]);
    expect((await get(draft.id)).body).toMatchObject({ version, draft: false, title: 'Final' });
    const renamed = await patch(draft.id, { title: 'Final, really', notes: 'more', version });
    expect([renamed.status, renamed.body.title, renamed.body.notes]).toEqual([200, 'Final, really', 'more']);
    expect((await deploy(draft.id)).status).toBe(201);
  });

  it('refuses a version taken by another release (409), a bad version (400) and an empty change (400)', async () => {
    const taken = nextVersion();
    await create({ version: taken });
    const { body: draft } = await create({ version: nextVersion(), draft: true });
    expect((await patch(draft.id, { version: taken })).status).toBe(409);
    const bad = await patch(draft.id, { version: 'one' });
    expect([bad.status, bad.body.errors[0].path]).toEqual([400, '/body/version']);
    expect((await patch(draft.id, {})).status).toBe(400);
    expect((await patch(draft.id, { title: 'x' }, reader)).status).toBe(403);
  });
});

describe('a draft on the other surfaces', () => {
  it("is hidden from a reader's feed, GitHub REST and GraphQL, and shown as a draft to those who may release", async () => {
    const version = nextVersion();
    const { body: draft } = await create({ version, draft: true });
    const tag = { owner: world.org.slug, repo: 'app', tag: `v${version}` };
    const byTag = async (token: string) => invoke(ghGetReleaseByTag, { pathParameters: tag, token });
    expect((await byTag(reader)).status).toBe(404);
    expect((await byTag(world.developer.token)).body).toMatchObject({ draft: true, published_at: null });
    const ghList = async (token: string) => {
      const res = await invoke(ghListReleases, {
        pathParameters: { owner: world.org.slug, repo: 'app' },
        query: { per_page: '100' },
        token,
      });
      return res.body.map((release: { tag_name: string }) => release.tag_name);
    };
    expect(await ghList(reader)).not.toContain(`v${version}`);
    expect(await ghList(world.developer.token)).toContain(`v${version}`);
    const query = `{ repository(owner: "${world.org.slug}", name: "app") { release(tagName: "v${version}") { isDraft } } }`;
    const graphql = async (token: string) => (await invoke(ghGraphql, { body: { query }, token })).body;
    expect(await graphql(reader)).toEqual({ data: { repository: { release: null } } });
    expect(await graphql(world.developer.token)).toEqual({ data: { repository: { release: { isDraft: true } } } });
    // the feed of release.created, read to its end
    const all = async (token: string) => {
      const ids: string[] = [];
      let after: string | undefined;
      for (;;) {
        const res = await invoke(repoEvents, {
          pathParameters: { repo: world.repo.id },
          query: { limit: '100', types: 'release.created', ...(after ? { after } : {}) },
          token,
        });
        ids.push(...res.body.items.map((event: { resource: { id: string } }) => event.resource.id));
        if (res.body.items.length < 100) return ids;
        after = res.body.nextCursor;
      }
    };
    // the feed holds an event back while any older transaction is open on the server (other files share it): wait
    // until those who may release see the draft's event, so that the reader's feed, read after, has reached it too
    let seen = await all(world.developer.token);
    for (let tries = 0; !seen.includes(draft.id) && tries < 300; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      seen = await all(world.developer.token);
    }
    expect(seen).toContain(draft.id);
    expect(await all(reader)).not.toContain(draft.id);
  });
});

describe('deleting releases and artifacts', () => {
  it('deletes a release that never ran (its artifacts stay), and records release.deleted', async () => {
    const a = await artifact('kept.tgz');
    const { body: release } = await create({ version: nextVersion(), artifactIds: [a.id] });
    const res = await remove(release.id);
    expect(res.status).toBe(204);
    expect((await get(release.id)).status).toBe(404);
    expect(await eventsOf(release.id)).toEqual(['release.created', 'release.deleted']);
    const [kept] = await pool.query(sql`SELECT id FROM artifacts WHERE id = ${a.id}`);
    expect(kept).toBeDefined();
    expect((await remove(release.id)).status).toBe(404);
  });

  it('refuses to delete a release that was deployed, with the reason, and keeps it', async () => {
    const { body: release } = await create({ version: nextVersion() });
    expect((await deploy(release.id)).status).toBe(201);
    const res = await remove(release.id);
    expect(res.status).toBe(409);
    expect(res.body.detail).toBe(
      `Release ${release.version} has been deployed (1 deployment), so it cannot be deleted: what ran stays recorded.`,
    );
    expect((await get(release.id)).status).toBe(200);
  });

  it("deletes an artifact of a release until the release's first deployment, then refuses", async () => {
    const [a, b] = [await artifact('one.tgz'), await artifact('two.tgz')];
    const { body: release } = await create({ version: nextVersion(), artifactIds: [a.id, b.id] });
    const del = (id: string) =>
      invoke(deleteArtifact, {
        method: 'DELETE',
        pathParameters: { repo: world.repo.id, id },
        token: world.developer.token,
      });
    expect((await del(a.id)).status).toBe(204);
    expect((await get(release.id)).body.artifacts.map((x: { id: string }) => x.id)).toEqual([b.id]);
    expect(await eventsOf(release.id)).toEqual(['release.created', 'release.updated']);
    expect((await del(a.id)).status).toBe(404);
    expect((await deploy(release.id)).status).toBe(201);
    const refused = await del(b.id);
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toContain('its artifact two.tgz cannot be deleted: what ran stays recorded');
    expect((await get(release.id)).body.artifacts).toHaveLength(1);
  });
});

describe('races, on a real Postgres', () => {
  it('publish racing delete of a draft: one wins whole, never half of each', async () => {
    for (let round = 0; round < 8; round++) {
      const { body: draft } = await create({ version: nextVersion(), draft: true });
      const [published, deleted] = await Promise.all([patch(draft.id, { draft: false }), remove(draft.id)]);
      expect(deleted.status).toBe(204);
      expect((await get(draft.id)).status).toBe(404);
      const events = await eventsOf(draft.id);
      if (published.status === 200) {
        // the publish committed first: the delete then removed a published release that never ran
        expect(published.body.draft).toBe(false);
        expect(events).toEqual(['release.created', 'release.published', 'release.deleted']);
      } else {
        expect(published.status).toBe(404);
        expect(events).toEqual(['release.created', 'release.deleted']);
      }
    }
  });

  it('a first deployment racing a delete: either the deployment and its release stay, or neither exists', async () => {
    for (let round = 0; round < 8; round++) {
      const { body: release } = await create({ version: nextVersion() });
      const [deployed, deleted] = await Promise.all([deploy(release.id), remove(release.id)]);
      const rows = await pool.query(sql`SELECT 1 FROM deployments WHERE release_id = ${release.id}`);
      if (deployed.status === 201) {
        expect([deleted.status, rows.length, (await get(release.id)).status]).toEqual([409, 1, 200]);
      } else {
        expect([deployed.status, deleted.status, rows.length]).toEqual([404, 204, 0]);
      }
    }
  });
});
