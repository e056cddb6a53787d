/**
 * The cost of a deep page of GitHub's release list against its first page, as ratios measured in one run: by page
 * number (an offset, GitHub's paging) and by the keyset cursor of the `next` link (what octokit.paginate follows).
 * `DATABASE_URL=… npx tsx bench/githubPages.ts [releases]` seeds a fresh org with that many releases (20,000).
 */
import { randomBytes } from 'node:crypto';
import createConnectionPool, { sql } from '@databases/pg';
import { createOrg, createRepo, createUser } from '../lib/domain/orgs';
import { listReleaseDetails } from '../lib/domain/releaseDetails';

const count = Number(process.argv[2] ?? 20_000);
const url = process.env.DATABASE_URL;
if (!url) throw new Error('set DATABASE_URL to a migrated database');
const pool = createConnectionPool({ connectionString: url, bigIntMode: 'number', poolSize: 2 });
const org = await createOrg(pool, `bench-gh-${randomBytes(4).toString('hex')}`);
const repo = await createRepo(pool, org.slug, 'app');
const user = await createUser(pool, 'bench', { orgSlug: org.slug, role: 'release_manager' });
await pool.query(sql`
  INSERT INTO releases (repo_id, version, created_by, created_at)
  SELECT ${repo.id}, '1.0.' || n, ${user.id}, now() - n * interval '1 second' FROM generate_series(1, ${count}) n`);
await pool.query(sql`ANALYZE releases`);

/** Median milliseconds of `runs` calls of `fn`, after 5 to warm up. */
async function median(fn: () => Promise<unknown>, runs = 41): Promise<number> {
  for (let i = 0; i < 5; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

const perPage = 100;
const lastPage = Math.ceil(count / perPage);
const at = (page: number, cursor?: string) =>
  listReleaseDetails(pool, repo.id, { limit: perPage, offset: (page - 1) * perPage, cursor });
const before = await at(lastPage - 1);
const first = await median(() => at(1));
const byOffset = await median(() => at(lastPage));
const byCursor = await median(() => at(lastPage, before.nextCursor!));
console.log(
  JSON.stringify({
    releases: count,
    perPage,
    page: lastPage,
    firstPageMs: first,
    lastPageByOffsetRatio: Number((byOffset / first).toFixed(2)),
    lastPageByCursorRatio: Number((byCursor / first).toFixed(2)),
  }),
);
await pool.query(sql`DELETE FROM events WHERE org_id = ${org.id}`);
await pool.query(sql`DELETE FROM orgs WHERE id = ${org.id}`);
await pool.query(sql`DELETE FROM users WHERE id = ${user.id}`);
await pool.dispose();
