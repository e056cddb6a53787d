import { describe, expect, it } from 'vitest';
import { createUser } from '../../lib/domain/orgs';
import { sql } from '../../lib/infra/db';
import { api } from '../helpers/api';
import { writeBuildFile } from '../helpers/factories';
import { useWorld } from '../helpers/world';

const { pool, world } = useWorld();

describe('races over HTTP', () => {
  it('lets exactly one of 100 concurrent creates of one version win; the rest are 409, none 5xx', async () => {
    const file = writeBuildFile(world.repo.id, 'race/a', 'a');
    const artifact = await api('POST', `/repos/${world.repo.id}/artifacts`, {
      token: world.developer.token,
      json: { name: 'a', path: file },
    });
    const answers = await Promise.all(
      Array.from({ length: 100 }, () =>
        api('POST', `/repos/${world.repo.id}/releases`, {
          token: world.developer.token,
          json: { version: '1.0.0', artifactIds: [artifact.body.id] },
        }),
      ),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(99);
    const rows = await pool.query(sql`
      SELECT r.id, count(ra.artifact_id)::int AS links FROM releases r LEFT JOIN release_artifacts ra ON ra.release_id = r.id
      WHERE r.repo_id = ${world.repo.id} GROUP BY r.id`);
    expect(rows).toEqual([{ id: answers.find((a) => a.status === 201)!.body.id, links: 1 }]);
  });

  it('records every one of 30 concurrent deployments of one release to one environment, and lets one of 10 concurrent finishes win', async () => {
    const token = world.releaseManager.token;
    const made = await api('POST', `/repos/${world.repo.id}/releases`, { token, json: { version: '2.0.0' } });
    const environments = await api('GET', `/orgs/${world.org.slug}/environments`, { token });
    const dev = environments.body.items.find((e: { name: string }) => e.name === 'dev');
    const deploys = await Promise.all(
      Array.from({ length: 30 }, () =>
        api('POST', `/repos/${world.repo.id}/releases/${made.body.id}/deployments`, {
          token,
          json: { environmentId: dev.id },
        }),
      ),
    );
    expect(deploys.map((d) => d.status)).toEqual(Array(30).fill(201));
    expect(new Set(deploys.map((d) => d.body.id)).size).toBe(30);
    const [{ n }] = await pool.query(
      sql`SELECT count(*)::int AS n FROM deployments WHERE release_id = ${made.body.id}`,
    );
    expect(n).toBe(30);

    const started = await api('POST', `/repos/${world.repo.id}/releases/${made.body.id}/deployments`, {
      token,
      json: { environmentId: dev.id, status: 'in_progress' },
    });
    const finishes = await Promise.all(
      ['success', 'failed'].flatMap((status) =>
        Array.from({ length: 5 }, () => api('PATCH', `/deployments/${started.body.id}`, { token, json: { status } })),
      ),
    );
    expect(finishes.map((f) => f.status).sort()).toEqual([200, ...Array(9).fill(409)]);
    const winner = finishes.find((f) => f.status === 200)!;
    const stored = await api('GET', `/deployments/${started.body.id}`, { token });
    expect(stored.body.status).toBe(winner.body.status);
    const release = await api('GET', `/repos/${world.repo.id}/releases/${made.body.id}`, { token });
    expect(release.body.deploymentCount).toBe(31);
  });

  it('ends a review racing a cancel, and two reviews racing, in exactly one outcome each time', async () => {
    const rm = world.releaseManager.token;
    const ada = await createUser(pool, 'ada', { orgSlug: world.org.slug, role: 'release_manager' });
    const bob = await createUser(pool, 'bob', { orgSlug: world.org.slug, role: 'release_manager' });
    expect(
      (await api('PATCH', `/orgs/${world.org.slug}/environments/dev`, { token: rm, json: { requiredApprovals: 1 } }))
        .status,
    ).toBe(200);
    const made = await api('POST', `/repos/${world.repo.id}/releases`, { token: rm, json: { version: '3.0.0' } });
    const dev = (await api('GET', `/orgs/${world.org.slug}/environments/dev`, { token: rm })).body.id;
    const ask = async () =>
      (
        await api('POST', `/repos/${world.repo.id}/releases/${made.body.id}/deployments`, {
          token: world.developer.token,
          json: { environmentId: dev },
        })
      ).body.id as string;
    for (let round = 0; round < 5; round += 1) {
      const id = await ask();
      const [review, cancel] = await Promise.all([
        api('POST', `/deployments/${id}/reviews`, { token: ada.token, json: { decision: 'approve' } }),
        api('POST', `/deployments/${id}/cancel`, { token: world.developer.token, json: {} }),
      ]);
      const stored = (await api('GET', `/deployments/${id}`, { token: rm })).body.status;
      if (review.status === 201) expect([cancel.status, stored]).toEqual([409, 'success']);
      else expect([review.status, cancel.status, stored]).toEqual([409, 200, 'cancelled']);

      const other = await ask();
      const reviews = await Promise.all(
        [ada, bob].map((reviewer) =>
          api('POST', `/deployments/${other}/reviews`, { token: reviewer.token, json: { decision: 'approve' } }),
        ),
      );
      expect(reviews.map((r) => r.status).sort()).toEqual([201, 409]);
      expect((await api('GET', `/deployments/${other}`, { token: rm })).body.reviews).toHaveLength(1);
    }
  });

  it('a draft published and deleted at once, over HTTP: each request applies whole or finds no release', async () => {
    const token = world.developer.token;
    for (let round = 0; round < 12; round++) {
      const made = await api('POST', `/repos/${world.repo.id}/releases`, {
        token,
        json: { version: `7.0.${round}`, draft: true },
      });
      const path = `/repos/${world.repo.id}/releases/${made.body.id}`;
      const [published, deleted] = await Promise.all([
        api('PATCH', path, { token, json: { draft: false, title: 'Out' } }),
        api('DELETE', path, { token }),
      ]);
      expect(deleted.status).toBe(204);
      expect((await api('GET', path, { token })).status).toBe(404);
      const events = await pool.query(sql`
        SELECT type FROM events WHERE resource->>'id' = ${made.body.id} ORDER BY txid, seq`);
      // a publish that answered 200 committed before the delete; one that found nothing wrote nothing
      expect(events.map((e) => e.type)).toEqual(
        published.status === 200
          ? ['release.created', 'release.published', 'release.deleted']
          : ['release.created', 'release.deleted'],
      );
      expect([200, 404]).toContain(published.status);
    }
  });
});
