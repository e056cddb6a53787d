/**
 * The bench's data: one org (dev, stg, prod) with 10 repos, seeded in bulk with generate_series. The org, its
 * repos and the bench user go through lib/orgs as npm start's bootstrap does; releases, artifacts, deployments
 * and their events are INSERT ... SELECT, a few statements per repo however large.
 */
import createConnectionPool from '@databases/pg';
import pg from 'pg';
import { createOrg, createRepo, createUser } from '../lib/domain/orgs';

export const BENCH_ORG = 'bench';
const USER_PREFIX = 'gitweave-bench-';

export interface Sizes {
  label: 'full' | 'quick';
  /** releases of the big repo, and its deployments (the hot release's included) */
  bigReleases: number;
  bigDeployments: number;
  /** releases of the small repo; it has `deploymentsPerRelease` deployments on each */
  smallReleases: number;
  deploymentsPerRelease: number;
  /** deployments of the one hot release (in the big repo) */
  hotDeployments: number;
  /** releases of each of the 7 other repos (no deployments) */
  otherReleases: number;
  /** artifacts linked to each seeded release */
  artifactsPerRelease: number;
}

export const FULL: Sizes = {
  label: 'full',
  bigReleases: 100_000,
  bigDeployments: 1_000_000,
  smallReleases: 1_000,
  deploymentsPerRelease: 10,
  hotDeployments: 10_000,
  otherReleases: 100,
  artifactsPerRelease: 2,
};

export const QUICK: Sizes = {
  label: 'quick',
  bigReleases: 1_000,
  bigDeployments: 10_000,
  smallReleases: 100,
  deploymentsPerRelease: 10,
  hotDeployments: 100,
  otherReleases: 10,
  artifactsPerRelease: 2,
};

export interface Environment {
  id: string;
  name: string;
  protected: boolean;
}

/** What the load needs to know about the seeded data. */
export interface Seeded {
  orgId: string;
  environments: Environment[];
  repos: { big: string; small: string; writes: string; others: string[] };
  userId: string;
  token: string;
  hotReleaseId: string;
  /** a random sample of release ids (hot release excluded) of the big and the small repo */
  bigReleaseIds: string[];
  smallReleaseIds: string[];
  /** a random sample of deployment ids of the big repo */
  deploymentIds: string[];
  /** a random sample of places (txid, seq) in the big repo's feed, to read a page after */
  feedPositions: { txid: string; seq: string }[];
  /** the position (1 = newest) and keyset of the release the deep page starts after, per repo */
  deepAfter: {
    big: { position: number; createdAt: Date; id: string };
    small: { position: number; createdAt: Date; id: string };
  };
  /** wall time of the bulk seeding, ms (0 when reused) */
  seedMs: number;
  reused: boolean;
}

/** The page size the bench lists with (the API's default). */
export const PAGE_SIZE = 20;

/** The deep page starts after the release at 90% of the history, but always leaves a full page after it. */
export function deepPosition(releases: number): number {
  return Math.max(1, Math.min(Math.floor(releases * 0.9), releases - PAGE_SIZE - 1));
}

function version(i: string): string {
  // unique per repo for any i: major = i / 10000, minor = i / 100 % 100, patch = i % 100, every 20th a pre-release
  return `(${i} / 10000) || '.' || (${i} / 100 % 100) || '.' || (${i} % 100) || CASE WHEN ${i} % 20 = 0 THEN '-rc.1' ELSE '' END`;
}

/** `count` releases of `repoId`, one second apart ending a day ago, each with `artifactsPerRelease` artifacts. */
async function seedReleases(
  client: pg.Client,
  repoId: string,
  userId: string,
  count: number,
  artifactsPerRelease: number,
) {
  if (count === 0) return;
  await client.query(
    `INSERT INTO releases (repo_id, version, notes, created_by, created_at)
     SELECT $1, ${version('i')},
            '## Release ' || i || E'\\n\\nBug fixes and improvements.\\n\\n- faster builds\\n- fewer bugs',
            $2, now() - interval '1 day' - ($3 - i) * interval '1 second'
     FROM generate_series(1, $3::int) i`,
    [repoId, userId, count],
  );
  await client.query(
    `CREATE TEMP TABLE seed_links AS
     SELECT r.id AS release_id, gen_random_uuid() AS artifact_id, k, r.created_at
     FROM releases r, generate_series(1, $2::int) k WHERE r.repo_id = $1`,
    [repoId, artifactsPerRelease],
  );
  await client.query(
    `INSERT INTO artifacts (id, repo_id, name, path, size_bytes, sha256, content_type, created_at)
     SELECT artifact_id, $1, 'app-' || k || '.tgz', 'builds/' || release_id || '/app-' || k || '.tgz', 1000 * k,
            encode(sha256(artifact_id::text::bytea), 'hex'), 'application/gzip', created_at
     FROM seed_links`,
    [repoId],
  );
  await client.query(
    `INSERT INTO release_artifacts (release_id, artifact_id) SELECT release_id, artifact_id FROM seed_links`,
  );
  await client.query('DROP TABLE seed_links');
}

/**
 * `total` deployments spread round-robin over the releases of `repoId` (but `except`), across `environmentIds`;
 * every 20th failed. The n-th deployment of a release starts n × 10 minutes after the release was created.
 */
async function seedDeployments(
  client: pg.Client,
  repoId: string,
  userId: string,
  environmentIds: string[],
  total: number,
  except: string | null,
) {
  if (total === 0) return;
  await client.query(
    `CREATE TEMP TABLE seed_releases AS
     SELECT id, created_at, (row_number() OVER (ORDER BY created_at, id) - 1)::int AS ord
     FROM releases WHERE repo_id = $1 AND id IS DISTINCT FROM $2::uuid`,
    [repoId, except],
  );
  const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM seed_releases');
  await client.query(
    `INSERT INTO deployments (release_id, environment_id, status, started_at, ended_at, deployed_by)
     SELECT r.id, ($3::uuid[])[g % cardinality($3::uuid[]) + 1],
            (CASE WHEN g % 20 = 7 THEN 'failed' ELSE 'success' END)::deployment_status,
            r.created_at + (g / $4::int + 1) * interval '10 minutes',
            r.created_at + (g / $4::int + 1) * interval '10 minutes' + interval '90 seconds',
            $2
     FROM generate_series(0, $1::int - 1) g JOIN seed_releases r ON r.ord = g % $4::int`,
    [total, userId, environmentIds, rows[0]!.n],
  );
  await client.query('DROP TABLE seed_releases');
}

/** `count` deployments of one release, one a second apart from an hour after it was created. */
async function seedHotRelease(
  client: pg.Client,
  releaseId: string,
  userId: string,
  environmentIds: string[],
  count: number,
) {
  await client.query(
    `INSERT INTO deployments (release_id, environment_id, status, started_at, ended_at, deployed_by)
     SELECT r.id, ($3::uuid[])[g % cardinality($3::uuid[]) + 1],
            (CASE WHEN g % 20 = 7 THEN 'failed' ELSE 'success' END)::deployment_status,
            r.created_at + interval '1 hour' + g * interval '1 second',
            r.created_at + interval '1 hour' + g * interval '1 second' + interval '1 second',
            $2
     FROM releases r, generate_series(0, $4::int - 1) g WHERE r.id = $1`,
    [releaseId, userId, environmentIds, count],
  );
}

/**
 * The events of `repoId`'s releases and deployments (release.created, deployment.created), as the API would have
 * recorded them, oldest first by kind. Bulk-seeded events share the seeding transaction's id (a real feed has one
 * per change); a feed page reads one range of the (repo_id, txid, seq) index either way.
 */
async function seedEvents(client: pg.Client, orgId: string, repoId: string) {
  await client.query(
    `INSERT INTO events (type, org_id, repo_id, actor_id, occurred_at, resource)
     SELECT 'release.created', $1, r.repo_id, r.created_by, r.created_at,
            jsonb_build_object('id', r.id, 'repoId', r.repo_id, 'version', r.version, 'notes', r.notes,
              'createdBy', jsonb_build_object('id', u.id, 'name', u.name), 'createdAt', r.created_at,
              'artifacts', '[]'::jsonb, 'deployments', '[]'::jsonb, 'deploymentCount', 0)
     FROM releases r JOIN users u ON u.id = r.created_by WHERE r.repo_id = $2
     ORDER BY r.created_at, r.id`,
    [orgId, repoId],
  );
  await client.query(
    `INSERT INTO events (type, org_id, repo_id, actor_id, occurred_at, resource)
     SELECT 'deployment.created', $1, r.repo_id, d.deployed_by, d.started_at,
            jsonb_build_object('id', d.id, 'releaseId', d.release_id, 'repoId', r.repo_id, 'version', r.version,
              'environment', jsonb_build_object('id', e.id, 'name', e.name), 'status', d.status, 'kind', d.kind,
              'rollbackOf', NULL, 'reason', NULL, 'requiredApprovals', 0, 'startedAt', d.started_at,
              'endedAt', d.ended_at, 'deployedBy', jsonb_build_object('id', u.id, 'name', u.name),
              'reviews', '[]'::jsonb)
     FROM deployments d JOIN releases r ON r.id = d.release_id JOIN environments e ON e.id = d.environment_id
     JOIN users u ON u.id = d.deployed_by
     WHERE r.repo_id = $2
     ORDER BY d.started_at, d.id`,
    [orgId, repoId],
  );
}

function orgName(sizes: Sizes): string {
  return `GitWeave bench (${sizes.label})`;
}

/** Deletes the bench org (and with it everything seeded in it) and the bench users; other data is left alone. */
async function deleteBenchData(client: pg.Client): Promise<void> {
  // leaves first: the cascade from orgs would reach environments and artifacts before the rows that point at them
  await client.query(
    `DELETE FROM deployments d USING environments e, orgs o WHERE d.environment_id = e.id AND e.org_id = o.id AND o.slug = $1`,
    [BENCH_ORG],
  );
  await client.query(
    `DELETE FROM releases r USING repos p, orgs o WHERE r.repo_id = p.id AND p.org_id = o.id AND o.slug = $1`,
    [BENCH_ORG],
  );
  // events name their org without a foreign key (migration 0014): they go first, by hand
  await client.query('DELETE FROM events WHERE org_id IN (SELECT id FROM orgs WHERE slug = $1)', [BENCH_ORG]);
  await client.query('DELETE FROM orgs WHERE slug = $1', [BENCH_ORG]);
  await client.query('DELETE FROM users WHERE name LIKE $1', [`${USER_PREFIX}%`]);
}

async function sample(client: pg.Client, text: string, values: unknown[]): Promise<string[]> {
  const { rows } = await client.query<{ id: string }>(text, values);
  return rows.map((row) => row.id);
}

async function keysetAt(client: pg.Client, repoId: string, position: number) {
  const { rows } = await client.query<{ id: string; created_at: Date }>(
    'SELECT id, created_at FROM releases WHERE repo_id = $1 ORDER BY created_at DESC, id DESC OFFSET $2 LIMIT 1',
    [repoId, position - 1],
  );
  if (!rows[0]) throw new Error(`repo ${repoId} has no release at position ${position}`);
  return { position, createdAt: rows[0].created_at, id: rows[0].id };
}

/**
 * Seeds the bench org at `sizes` into `databaseUrl` (already migrated), replacing any earlier bench org, or, with
 * `reuse`, keeps a bench org seeded earlier at the same sizes. Either way it creates a fresh bench user and token.
 */
export async function seed(
  databaseUrl: string,
  sizes: Sizes,
  options: { reuse: boolean; log: (line: string) => void },
): Promise<Seeded> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'gitweave-releases bench seed' });
  await client.connect();
  const pool = createConnectionPool({ connectionString: databaseUrl, bigIntMode: 'number' });
  try {
    const started = Date.now();
    const { rows: existing } = await client.query<{ id: string; name: string }>(
      'SELECT id, name FROM orgs WHERE slug = $1',
      [BENCH_ORG],
    );
    const reused = options.reuse && existing[0]?.name === orgName(sizes);
    if (!reused) {
      if (existing[0]) options.log('deleting the previous bench org');
      await deleteBenchData(client);
      await createOrg(pool, BENCH_ORG, orgName(sizes));
      await createRepo(pool, BENCH_ORG, 'big');
      await createRepo(pool, BENCH_ORG, 'small');
      await createRepo(pool, BENCH_ORG, 'writes');
      for (let n = 4; n <= 10; n++) await createRepo(pool, BENCH_ORG, `repo-${String(n).padStart(2, '0')}`);
    } else {
      options.log(`reusing the ${sizes.label} bench data seeded earlier`);
    }
    const { rows: orgRows } = await client.query<{ id: string }>('SELECT id FROM orgs WHERE slug = $1', [BENCH_ORG]);
    const orgId = orgRows[0]!.id;
    const { rows: environments } = await client.query<Environment>(
      'SELECT id, name, protected FROM environments WHERE org_id = $1 ORDER BY created_at, name',
      [orgId],
    );
    const { rows: repoRows } = await client.query<{ id: string; name: string }>(
      'SELECT id, name FROM repos WHERE org_id = $1',
      [orgId],
    );
    const repoId = (name: string) => repoRows.find((repo) => repo.name === name)!.id;
    const others = repoRows.filter((repo) => repo.name.startsWith('repo-')).map((repo) => repo.id);
    const user = await createUser(pool, `${USER_PREFIX}${Date.now()}`, { orgSlug: BENCH_ORG, role: 'release_manager' });
    const environmentIds = environments.map((env) => env.id);

    if (!reused) {
      const seeder = (
        await client.query<{ id: string }>(`INSERT INTO users (name) VALUES ($1) RETURNING id`, [
          `${USER_PREFIX}seeder`,
        ])
      ).rows[0]!.id;
      const step = async (label: string, work: () => Promise<void>) => {
        const t = Date.now();
        await client.query('BEGIN');
        await work();
        await client.query('COMMIT');
        options.log(`  ${label} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
      };
      options.log(`seeding ${sizes.label} data in bulk`);
      await step(`big repo: ${sizes.bigReleases} releases`, () =>
        seedReleases(client, repoId('big'), seeder, sizes.bigReleases, sizes.artifactsPerRelease),
      );
      const hot = await keysetAt(client, repoId('big'), Math.ceil(sizes.bigReleases / 2));
      await step(`big repo: ${sizes.bigDeployments} deployments (${sizes.hotDeployments} on one release)`, async () => {
        await seedDeployments(
          client,
          repoId('big'),
          seeder,
          environmentIds,
          sizes.bigDeployments - sizes.hotDeployments,
          hot.id,
        );
        await seedHotRelease(client, hot.id, seeder, environmentIds, sizes.hotDeployments);
      });
      await step(
        `small repo: ${sizes.smallReleases} releases, ${sizes.smallReleases * sizes.deploymentsPerRelease} deployments`,
        async () => {
          await seedReleases(client, repoId('small'), seeder, sizes.smallReleases, sizes.artifactsPerRelease);
          await seedDeployments(
            client,
            repoId('small'),
            seeder,
            environmentIds,
            sizes.smallReleases * sizes.deploymentsPerRelease,
            null,
          );
        },
      );
      await step('events of the big and the small repo', async () => {
        await seedEvents(client, orgId, repoId('big'));
        await seedEvents(client, orgId, repoId('small'));
      });
      await step(`7 other repos: ${sizes.otherReleases} releases each`, async () => {
        for (const id of others) await seedReleases(client, id, seeder, sizes.otherReleases, sizes.artifactsPerRelease);
      });
      const t = Date.now();
      await client.query('VACUUM ANALYZE');
      options.log(`  VACUUM ANALYZE (${((Date.now() - t) / 1000).toFixed(1)} s)`);
    }

    const { rows: hotRows } = await client.query<{ id: string }>(
      `SELECT release_id AS id FROM deployments d JOIN releases r ON r.id = d.release_id WHERE r.repo_id = $1
       GROUP BY release_id ORDER BY count(*) DESC LIMIT 1`,
      [repoId('big')],
    );
    const hotReleaseId = hotRows[0]!.id;
    const bigReleaseIds = await sample(
      client,
      'SELECT id FROM releases WHERE repo_id = $1 AND id <> $2 ORDER BY random() LIMIT 1000',
      [repoId('big'), hotReleaseId],
    );
    const smallReleaseIds = await sample(
      client,
      'SELECT id FROM releases WHERE repo_id = $1 ORDER BY random() LIMIT 1000',
      [repoId('small')],
    );
    const deploymentIds = await sample(
      client,
      `SELECT d.id FROM deployments d TABLESAMPLE SYSTEM (10) JOIN releases r ON r.id = d.release_id
       WHERE r.repo_id = $1 ORDER BY random() LIMIT 1000`,
      [repoId('big')],
    );
    const { rows: feedPositions } = await client.query<{ txid: string; seq: string }>(
      `SELECT txid::text, seq::text FROM events TABLESAMPLE SYSTEM (1) WHERE repo_id = $1 ORDER BY random() LIMIT 1000`,
      [repoId('big')],
    );
    const counts = await client.query<{ releases: number; deployments: number }>(
      `SELECT (SELECT count(*) FROM releases WHERE repo_id = $1)::int AS releases,
              (SELECT count(*) FROM deployments d JOIN releases r ON r.id = d.release_id WHERE r.repo_id = $1)::int AS deployments`,
      [repoId('big')],
    );
    options.log(`big repo: ${counts.rows[0]!.releases} releases, ${counts.rows[0]!.deployments} deployments`);
    const { rows: smallCount } = await client.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM releases WHERE repo_id = $1',
      [repoId('small')],
    );
    return {
      orgId,
      environments,
      repos: { big: repoId('big'), small: repoId('small'), writes: repoId('writes'), others },
      userId: user.id,
      token: user.token,
      hotReleaseId,
      bigReleaseIds,
      smallReleaseIds,
      deploymentIds,
      feedPositions,
      deepAfter: {
        big: await keysetAt(client, repoId('big'), deepPosition(counts.rows[0]!.releases)),
        small: await keysetAt(client, repoId('small'), deepPosition(smallCount[0]!.n)),
      },
      seedMs: reused ? 0 : Date.now() - started,
      reused,
    };
  } finally {
    await pool.dispose();
    await client.end();
  }
}
