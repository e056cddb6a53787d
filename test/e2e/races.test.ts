import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../lib/db';
import { api } from '../helpers/api';
import { orgWithMembers, testPool, writeBuildFile } from '../helpers/factories';

const pool = testPool();
let world: Awaited<ReturnType<typeof orgWithMembers>>;
beforeAll(async () => {
  world = await orgWithMembers(pool);
});
afterAll(() => pool.dispose());

describe('races over HTTP', () => {
  it('lets exactly one of 100 concurrent creates of one version win; the rest are 409, none 5xx', async () => {
    const file = writeBuildFile(`race/${world.repo.id}/a`, 'a');
    const artifact = await api('POST', `/repos/${world.repo.id}/artifacts`, { token: world.developer.token, json: { name: 'a', path: file } });
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
});
