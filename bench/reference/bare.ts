/**
 * The bare reference (issue 11): node:http calling the same lib/ functions as the handlers of the six measured
 * reads (authenticate, then the domain call) on lib's pool, with no middy, no validation, no access log. What the
 * door 'server' serves beyond this is the framework's cost. PORT, DATABASE_URL.
 */
import http from 'node:http';
import { getDeployment, listDeployments } from '../../lib/domain/deployments';
import { listRepoEnvironments } from '../../lib/domain/environments';
import { authenticate, type User } from '../../lib/domain/identity';
import { getLatestRelease, getRelease, listReleases } from '../../lib/domain/releases';
import { repoForMember } from '../../lib/domain/repos';
import { db } from '../../lib/infra/db';
import { HttpProblem } from '../../lib/infra/errors';

type Call = (user: User, ids: string[]) => Promise<unknown>;
const inRepo = (work: (repo: Awaited<ReturnType<typeof repoForMember>>, ids: string[]) => Promise<unknown>): Call => {
  return async (user, ids) => work(await repoForMember(db(), ids[0]!, user), ids);
};
const page = { limit: 20 };
const routes: Array<[RegExp, Call]> = [
  [/^\/api\/v1\/repos\/([^/]+)\/releases$/, inRepo((repo) => listReleases(db(), repo.id, page))],
  [
    /^\/api\/v1\/repos\/([^/]+)\/releases\/latest$/,
    inRepo((repo) => getLatestRelease(db(), repo.id, { prerelease: false })),
  ],
  [/^\/api\/v1\/repos\/([^/]+)\/releases\/([^/]+)$/, inRepo((repo, ids) => getRelease(db(), repo.id, ids[1]!))],
  [
    /^\/api\/v1\/repos\/([^/]+)\/releases\/([^/]+)\/deployments$/,
    inRepo((repo, ids) => listDeployments(db(), repo.id, ids[1]!, page)),
  ],
  [/^\/api\/v1\/deployments\/([^/]+)$/, (user, ids) => getDeployment(db(), ids[0]!, user.id)],
  [/^\/api\/v1\/repos\/([^/]+)\/environments$/, inRepo((repo) => listRepoEnvironments(db(), repo, page))],
];

http
  .createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (path === '/api/v1/health') return send(200, { status: 'ok' });
    const route = routes.find(([pattern]) => pattern.test(path));
    if (!route) return send(404, { title: 'Not Found' });
    const ids = route[0].exec(path)!.slice(1);
    try {
      const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      const user = await authenticate(db(), token, path.startsWith('/api/v1/repos/') ? ids[0] : undefined);
      if (!user) return send(401, { title: 'Unauthorized' });
      send(200, await route[1](user, ids));
    } catch (err) {
      send(err instanceof HttpProblem ? err.status : 500, { title: String(err) });
    }
  })
  .listen(Number(process.env.PORT), '127.0.0.1');
