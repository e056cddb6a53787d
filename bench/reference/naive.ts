/**
 * The naive reference: what a hand-written node:http + pg server for the six measured reads would be.
 * Per request: the token lookup, then the read's statements, as text with the same SQL as lib/ (statements.ts),
 * unprepared, on a plain pg.Pool of 10; no cache, no validation, rows written back as JSON. PORT, DATABASE_URL.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import pg from 'pg';
import { positional, READS, type Read, TOUCH_TOKEN } from './statements';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const routes: Array<[RegExp, Read, string[]]> = [
  [/^\/api\/v1\/repos\/([^/]+)\/releases$/, 'listReleases', ['repo']],
  [/^\/api\/v1\/repos\/([^/]+)\/releases\/latest$/, 'getLatestRelease', ['repo']],
  [/^\/api\/v1\/repos\/([^/]+)\/releases\/([^/]+)$/, 'getRelease', ['repo', 'release']],
  [/^\/api\/v1\/repos\/([^/]+)\/releases\/([^/]+)\/deployments$/, 'listDeployments', ['repo', 'release']],
  [/^\/api\/v1\/deployments\/([^/]+)$/, 'getDeployment', ['deployment']],
  [/^\/api\/v1\/repos\/([^/]+)\/environments$/, 'repoEnvironments', ['repo']],
];

async function run(statement: string, values: Record<string, unknown>) {
  const { text, names } = positional(statement);
  return (
    await pool.query(
      text,
      names.map((name) => values[name]),
    )
  ).rows;
}

async function answer(read: Read, values: Record<string, unknown>): Promise<[number, unknown]> {
  const [auth, ...statements] = READS[read];
  const [caller] = await run(auth!, values);
  if (!caller) return [401, { title: 'Unauthorized' }];
  if (caller.stale) await run(TOUCH_TOKEN, { token_id: caller.token_id });
  if (values.repo && !caller.repo_role) return [404, { title: 'Not Found' }];
  Object.assign(values, { user: caller.id, org: caller.repo_org_id, limit: 21, shown: 20 });
  let rows: Record<string, unknown>[] = [];
  for (const statement of statements) {
    rows = await run(statement, values);
    if (read === 'getLatestRelease' || read === 'listDeployments') {
      if (!rows[0]) return [404, { title: 'Not Found' }];
      values.release ??= rows[0].id;
    }
  }
  if (read.startsWith('list') || read === 'repoEnvironments') {
    return [200, { items: rows.slice(0, 20), nextCursor: rows.length > 20 ? 'more' : null }];
  }
  return rows[0] ? [200, rows[0]] : [404, { title: 'Not Found' }];
}

http
  .createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (url.pathname === '/api/v1/health') return send(200, { status: 'ok' });
    const route = routes.find(([pattern]) => pattern.test(url.pathname));
    if (!route) return send(404, { title: 'Not Found' });
    const match = route[0].exec(url.pathname)!;
    const values: Record<string, unknown> = Object.fromEntries(route[2].map((name, i) => [name, match[i + 1]]));
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    values.hash = createHash('sha256').update(token).digest();
    try {
      send(...(await answer(route[1], values)));
    } catch {
      send(500, { title: 'Internal Server Error' });
    }
  })
  .listen(Number(process.env.PORT), '127.0.0.1');
