import { describe, expect, it } from 'vitest';
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
});
