/**
 * The bare reference: node:http calling the same lib/ functions as the handlers of the six measured
 * reads (authenticate, then the domain call) on lib's pool, with no middy, no validation, no access log. What the
 * door 'server' serves beyond this is the framework's cost. PORT, DATABASE_URL.
 */
import http from 'node:http';
import type { RepoAccess } from '../../lib/domain/access';
import { listDeployments } from '../../lib/domain/deploymentLists';
import { getDeployment } from '../../lib/domain/deployments';
import { listRepoEnvironments } from '../../lib/domain/environments';
import { type Authenticated, authenticate } from '../../lib/domain/identity';
import { getLatestRelease, getRelease, listReleases } from '../../lib/domain/releases';
import { db } from '../../lib/infra/db';
import { HttpProblem, NotFound } from '../../lib/infra/errors';

type Call = (caller: Authenticated, ids: string[]) => Promise<unknown>;
// the repo access found with the token, as lib/http hands it to a handler
const inRepo = (work: (repo: RepoAccess, ids: string[]) => Promise<unknown>): Call => {
  return async (caller, ids) => {
    if (!caller.repo) throw new NotFound(`Repo ${ids[0]} was not found`);
    return work(caller.repo, ids);
  };
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
  [/^\/api\/v1\/deployments\/([^/]+)$/, (caller, ids) => getDeployment(db(), ids[0]!, caller.user.id)],
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
      const caller = await authenticate(db(), token, path.startsWith('/api/v1/repos/') ? ids[0] : undefined);
      if (!caller) return send(401, { title: 'Unauthorized' });
      send(200, await route[1](caller, ids));
    } catch (err) {
      send(err instanceof HttpProblem ? err.status : 500, { title: String(err) });
    }
  })
  .listen(Number(process.env.PORT), '127.0.0.1');
