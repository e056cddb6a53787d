/**
 * The endpoints the bench loads: six reads on the big repo and two writes on the `writes` repo, each a
 * load target that any door (or reference server) answers at the same paths.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Target } from './load';
import type { Read } from './reference/statements';
import type { Seeded } from './seed';

export interface Endpoint {
  name: string;
  kind: 'read' | 'write';
  /** method and path, with the ids named */
  request: string;
  target: Target;
}

const API = '/api/v1';
const ARTIFACT_SETS = 10;

function rotate(values: string[]): () => string {
  let next = 0;
  return () => values[next++ % values.length]!;
}

async function post(origin: string, token: string, pathname: string, body: unknown): Promise<string> {
  const response = await fetch(origin + pathname, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`POST ${pathname} answered ${response.status}: ${text.slice(0, 500)}`);
  return (JSON.parse(text) as { id: string }).id;
}

/** The six reads, named as in statements.ts, rotating over the seeded samples of ids where they take one. */
export function reads(data: Seeded): Record<Read, Endpoint> {
  const headers = { authorization: `Bearer ${data.token}` };
  const { big } = data.repos;
  const get = (name: string, request: string, pathOf: () => string): Endpoint => ({
    name,
    kind: 'read',
    request,
    target: { name, method: 'GET', path: pathOf, headers },
  });
  const release = rotate(data.bigReleaseIds);
  return {
    listReleases: get('listReleases', 'GET /repos/{big}/releases', () => `${API}/repos/${big}/releases`),
    getRelease: get(
      'getRelease',
      'GET /repos/{big}/releases/{id} (1,000 ids in turn)',
      () => `${API}/repos/${big}/releases/${release()}`,
    ),
    getLatestRelease: get(
      'getLatestRelease',
      'GET /repos/{big}/releases/latest',
      () => `${API}/repos/${big}/releases/latest`,
    ),
    listDeployments: get(
      'listDeployments',
      'GET /repos/{big}/releases/{id}/deployments (1,000 ids in turn)',
      () => `${API}/repos/${big}/releases/${release()}/deployments`,
    ),
    getDeployment: get(
      'getDeployment',
      'GET /deployments/{id} (1,000 ids in turn)',
      rotate(data.deploymentIds.map((id) => `${API}/deployments/${id}`)),
    ),
    repoEnvironments: get(
      'repoEnvironments',
      'GET /repos/{big}/environments',
      () => `${API}/repos/${big}/environments`,
    ),
  };
}

/**
 * The two writes. createRelease links 3 artifacts, from 10 sets of 3 registered here through `origin` and used in
 * turn (one shared set would make every create lock the same 3 rows); createDeployment deploys to dev
 * (unprotected) one release of the `writes` repo, so the writes leave the measured repos as seeded.
 */
export async function writes(origin: string, data: Seeded, artifactsDir: string): Promise<Endpoint[]> {
  const headers = { authorization: `Bearer ${data.token}` };
  const stamp = Math.floor(Date.now() / 1000);
  const repo = data.repos.writes;
  const sets: string[][] = [];
  // a repo registers files from its own builds/<repo>/ (lib/domain/volume)
  fs.mkdirSync(path.join(artifactsDir, 'builds', repo), { recursive: true });
  for (let set = 0; set < ARTIFACT_SETS; set++) {
    const ids: string[] = [];
    for (let k = 1; k <= 3; k++) {
      const file = `builds/${repo}/app-${stamp}-${set}-${k}.tgz`;
      fs.writeFileSync(path.join(artifactsDir, file), Buffer.alloc(16 * 1024, `${set}-${k}`));
      ids.push(
        await post(origin, data.token, `${API}/repos/${repo}/artifacts`, { name: path.basename(file), path: file }),
      );
    }
    sets.push(ids);
  }
  const release = await post(origin, data.token, `${API}/repos/${repo}/releases`, {
    version: `${stamp}.0.0`,
    notes: 'The release the bench deploys.',
    artifactIds: sets[0],
  });
  const dev = data.environments.find((env) => env.name === 'dev')!;
  let created = 0;
  return [
    {
      name: 'createRelease (3 artifacts)',
      kind: 'write',
      request: 'POST /repos/{writes}/releases',
      target: {
        name: 'createRelease',
        method: 'POST',
        path: () => `${API}/repos/${repo}/releases`,
        headers,
        body: () => {
          const n = created++;
          return JSON.stringify({
            version: `${stamp}.1.${n}`,
            notes: `## ${n}\n\n- bench`,
            artifactIds: sets[n % ARTIFACT_SETS],
          });
        },
      },
    },
    {
      name: 'createDeployment',
      kind: 'write',
      request: 'POST /repos/{writes}/releases/{id}/deployments (dev)',
      target: {
        name: 'createDeployment',
        method: 'POST',
        path: () => `${API}/repos/${repo}/releases/${release}/deployments`,
        headers,
        body: () => JSON.stringify({ environmentId: dev.id }),
      },
    },
  ];
}

/** Whether `origin` answers `endpoint` as it should: null, or what it answered instead. */
export async function probe(origin: string, endpoint: Endpoint): Promise<string | null> {
  const { target } = endpoint;
  const response = await fetch(origin + target.path(), {
    method: target.method,
    headers: { ...(target.body ? { 'content-type': 'application/json' } : {}), ...target.headers },
    ...(target.body ? { body: target.body() } : {}),
  });
  const body = await response.text();
  return response.status >= 200 && response.status < 300 ? null : `${response.status} ${body.slice(0, 200)}`;
}
