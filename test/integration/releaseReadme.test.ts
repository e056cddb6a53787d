import { describe, expect, it } from 'vitest';
import { handler as getLatestRelease } from '../../functions/getLatestRelease';
import { handler as getRelease } from '../../functions/getRelease';
import { handler as listReleases } from '../../functions/listReleases';
import { createDeployment } from '../../lib/domain/deployments';
import { environmentsOf, releaseIn } from '../helpers/deployments';
import { invoke } from '../helpers/events';
import { orgWithMembers } from '../helpers/factories';
import { useWorld } from '../helpers/world';

// Two promises of docs/api.md's Releases section that no other test held it to.
const { pool, world } = useWorld();

describe('a release with more than 20 deployments', () => {
  it('shows its 20 newest deployments, newest first, and counts them all', async () => {
    const release = await releaseIn(pool, world.repo.id, world.releaseManager.id);
    const dev = (await environmentsOf(pool, world.org.id)).dev!;
    const access = { id: world.repo.id, orgId: world.org.id, role: 'release_manager' as const };
    const ids: string[] = [];
    for (let hour = 25; hour >= 1; hour -= 1) {
      const at = new Date(Date.now() - hour * 3_600_000).toISOString();
      const made = await createDeployment(pool, access, {
        release: release.id,
        deployedBy: world.releaseManager.id,
        environmentId: dev.id,
        startedAt: at,
        endedAt: at,
      });
      ids.push(made.id);
    }
    const res = await invoke(getRelease, {
      pathParameters: { repo: world.repo.id, id: release.id },
      token: world.developer.token,
    });
    expect(res.status).toBe(200);
    expect(res.body.deployments.map((d: { id: string }) => d.id)).toEqual(ids.slice(-20).reverse());
    expect(res.body.deploymentCount).toBe(25);
  });
});

describe('versions that differ only in build metadata', () => {
  it('tie in precedence and are ordered by id, the same way for latest and for ?sort=version', async () => {
    const fresh = await orgWithMembers(pool);
    const a = await releaseIn(pool, fresh.repo.id, fresh.releaseManager.id, '1.0.0+build.1');
    const b = await releaseIn(pool, fresh.repo.id, fresh.releaseManager.id, '1.0.0+build.2');
    await releaseIn(pool, fresh.repo.id, fresh.releaseManager.id, '0.9.0');
    // ids are random UUIDs: the tie goes to the greater one in Postgres' uuid order, which is the hex string order
    const [winner, loser] = a.id > b.id ? [a, b] : [b, a];
    const token = fresh.developer.token;
    const latest = await invoke(getLatestRelease, { pathParameters: { repo: fresh.repo.id }, token });
    expect({ status: latest.status, id: latest.body.id }).toEqual({ status: 200, id: winner.id });
    const byVersion = await invoke(listReleases, {
      pathParameters: { repo: fresh.repo.id },
      query: { sort: 'version' },
      token,
    });
    expect(byVersion.body.items.map((r: { version: string }) => r.version)).toEqual([
      winner.version,
      loser.version,
      '0.9.0',
    ]);
  });
});
