/**
 * GitHub's GraphQL release list (gh release list's query, 30 releases) beside the REST list page of 30, and the REST
 * page beside the native list page of 30 (GET /api/v1/repos/{repo}/releases), in one run on one database: each handler
 * called as Lambda calls it, in turns, and the median of each with their ratios.
 * `DATABASE_URL=postgres://…/any npx tsx bench/githubGraphql.ts [rounds]` makes a database of its own on that server,
 * migrates and seeds it (300 releases), and drops it at the end.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import createConnectionPool, { sql } from '@databases/pg';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import pg from 'pg';
import { migrate } from '../scripts/lib/migrate';

const rounds = Number(process.argv[2] ?? 300);
const serverUrl = process.env.DATABASE_URL;
if (!serverUrl) throw new Error('set DATABASE_URL to a Postgres server this run may create a database on');
const name = `gitweave_bench_${randomBytes(6).toString('hex')}`;
const admin = new pg.Client({ connectionString: serverUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const url = new URL(serverUrl);
url.pathname = `/${name}`;
await migrate(url.href);
process.env.DATABASE_URL = url.href;

const { createOrg, createRepo, createUser } = await import('../lib/domain/orgs');
const { closeDb } = await import('../lib/infra/db');
const { handler: rest } = await import('../functions/ghListReleases');
const { handler: graphql } = await import('../functions/ghGraphql');
const { handler: native } = await import('../functions/listReleases');
const pool = createConnectionPool({ connectionString: url.href, bigIntMode: 'number', poolSize: 2 });
const org = await createOrg(pool, 'bench');
await createRepo(pool, org.slug, 'app');
const user = await createUser(pool, 'bench', { orgSlug: org.slug, role: 'release_manager' });
const [repo] = await pool.query(sql`SELECT id FROM repos WHERE org_id = ${org.id}`);
await pool.query(sql`
  INSERT INTO releases (repo_id, version, created_by, created_at)
  SELECT ${repo.id}, '1.0.' || n, ${user.id}, now() - n * interval '1 second' FROM generate_series(1, 300) n`);
await pool.query(sql`ANALYZE`);

function event(
  method: string,
  path: string,
  body?: unknown,
  query?: Record<string, string>,
  route?: { key: string; params: Record<string, string> },
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = { authorization: `token ${user.token}`, host: '127.0.0.1:3000' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return {
    version: '2.0',
    routeKey: route?.key ?? `${method} ${path}`,
    rawPath: path,
    rawQueryString: new URLSearchParams(query ?? {}).toString(),
    headers,
    ...(query ? { queryStringParameters: query } : {}),
    ...(route
      ? { pathParameters: route.params }
      : path.includes('/repos/')
        ? { pathParameters: { owner: org.slug, repo: 'app' } }
        : {}),
    requestContext: {
      accountId: 'bench',
      apiId: 'bench',
      domainName: '127.0.0.1',
      domainPrefix: '127',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
      requestId: randomUUID(),
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    isBase64Encoded: false,
  };
}
// a context of its own per invocation, as Lambda gives each: the stack keeps a request's state on it
const context = () =>
  ({
    awsRequestId: randomUUID(),
    getRemainingTimeInMillis: () => 29_000,
  }) as unknown as Context;
// gh release list's own query (gh 2.23), 30 a page
const query = `query RepositoryReleaseList($endCursor:String$name:String!$owner:String!$perPage:Int!){repository(owner: $owner, name: $name){releases(first: $perPage, orderBy: {field: CREATED_AT, direction: DESC}, after: $endCursor){nodes{name,tagName,isDraft,isLatest,isPrerelease,createdAt,publishedAt},pageInfo{hasNextPage,endCursor}}}}`;
const calls = {
  rest: () => rest(event('GET', `/api/v3/repos/${org.slug}/app/releases`, undefined, { per_page: '30' }), context()),
  graphql: () =>
    graphql(
      event('POST', '/api/graphql', { query, variables: { owner: org.slug, name: 'app', perPage: 30 } }),
      context(),
    ),
  native: () =>
    native(
      event(
        'GET',
        `/api/v1/repos/${repo.id}/releases`,
        undefined,
        { limit: '30' },
        {
          key: 'GET /api/v1/repos/{repo}/releases',
          params: { repo: repo.id },
        },
      ),
      context(),
    ),
};
for (const call of Object.values(calls)) {
  const result = (await call()) as { statusCode: number; body: string };
  if (result.statusCode !== 200 || result.body.includes('"errors"')) throw new Error(`not a page: ${result.body}`);
}

const times: Record<keyof typeof calls, number[]> = { rest: [], graphql: [], native: [] };
async function timed(which: keyof typeof calls) {
  const start = process.hrtime.bigint();
  await calls[which]();
  times[which].push(Number(process.hrtime.bigint() - start) / 1e6);
}
for (let i = 0; i < 20; i++) await Promise.all([calls.rest(), calls.graphql(), calls.native()]);
for (let i = 0; i < rounds; i++) {
  const order: Array<keyof typeof calls> = i % 2 ? ['rest', 'graphql', 'native'] : ['native', 'graphql', 'rest'];
  for (const which of order) await timed(which);
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const restMs = median(times.rest);
const graphqlMs = median(times.graphql);
const nativeMs = median(times.native);
console.log(
  JSON.stringify({
    rounds,
    pageOf: 30,
    restMedianMs: Number(restMs.toFixed(3)),
    graphqlMedianMs: Number(graphqlMs.toFixed(3)),
    // throughput of the GraphQL page as a share of the REST page's (goal: at least 0.8)
    graphqlThroughputRatio: Number((restMs / graphqlMs).toFixed(2)),
    nativeMedianMs: Number(nativeMs.toFixed(3)),
    // what a GitHub REST page costs against the native page of the same 30 releases (it was about 2)
    restOverNative: Number((restMs / nativeMs).toFixed(2)),
  }),
);
await closeDb();
await pool.dispose();
await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
await admin.end();
