import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { createDeployment as recordDeployment } from '../../lib/domain/deployments';
import { createEnvironment, updateEnvironment } from '../../lib/domain/environments';
import { revokeToken } from '../../lib/domain/identity';
import { createUser } from '../../lib/domain/orgs';
import { environmentsOf, releaseIn } from '../helpers/deployments';
import { type EventOptions, invoke } from '../helpers/events';
import { type Member, writeBuildFile } from '../helpers/factories';
import { useWorld } from '../helpers/world';

// Every endpoint against every kind of caller, with the exact status each must get.
const { pool, world } = useWorld();
let revoked: Member;
let envs: Awaited<ReturnType<typeof environmentsOf>>;
let release: { id: string; version: string };
let artifactId: string;
let deploymentId: string;
let gatedId: string;

const PERSONAS = ['anonymous', 'malformed', 'revoked', 'outsider', 'developer', 'releaseManager'] as const;
type Persona = (typeof PERSONAS)[number];

function auth(persona: Persona): Pick<EventOptions, 'token' | 'headers'> {
  switch (persona) {
    case 'anonymous':
      return {};
    case 'malformed':
      return { headers: { authorization: 'Bearer not a token' } };
    case 'revoked':
      return { token: revoked.token };
    case 'outsider':
      return { token: world.outsider.token };
    case 'developer':
      return { token: world.developer.token };
    case 'releaseManager':
      return { token: world.releaseManager.token };
  }
}

/** An in_progress deployment of the shared release to `environment`, fresh for each finish attempt. */
async function inProgress(environment: 'dev' | 'prod'): Promise<string> {
  const deployment = await recordDeployment(
    pool,
    { id: world.repo.id, orgId: world.org.id, role: 'release_manager' },
    {
      release: release.id,
      deployedBy: world.releaseManager.id,
      environmentId: envs[environment]!.id,
      status: 'in_progress',
    },
  );
  return deployment.id;
}

/** A deployment of the shared release waiting for one approval, asked for by `requester`. */
async function waiting(requester: 'developer' | 'releaseManager'): Promise<string> {
  const deployment = await recordDeployment(
    pool,
    { id: world.repo.id, orgId: world.org.id, role: requester === 'developer' ? 'developer' : 'release_manager' },
    { release: release.id, deployedBy: world[requester].id, environmentId: gatedId },
  );
  return deployment.id;
}

const fresh = () => randomBytes(4).toString('hex');
const open = [200, 200, 200, 200, 200, 200];
const read = [401, 401, 401, 404, 200, 200];
const write = [401, 401, 401, 404, 201, 201];
const managerWrite = [401, 401, 401, 404, 403, 201];

interface Row {
  fn: string;
  case: string;
  event: () => Promise<EventOptions> | EventOptions;
  expected: number[];
}

const rows: Row[] = [
  { fn: 'health', case: '', event: () => ({}), expected: open },
  { fn: 'listRepos', case: '', event: () => ({}), expected: [401, 401, 401, 200, 200, 200] },
  {
    fn: 'createArtifact',
    case: 'register',
    event: () => ({
      pathParameters: { repo: world.repo.id },
      body: { name: 'a', path: writeBuildFile(world.repo.id, `matrix/${fresh()}`, 'x') },
    }),
    expected: write,
  },
  {
    fn: 'createArtifact',
    case: 'upload',
    event: () => ({ pathParameters: { repo: world.repo.id }, query: { name: 'a' }, body: Buffer.from(fresh()) }),
    expected: write,
  },
  { fn: 'listArtifacts', case: '', event: () => ({ pathParameters: { repo: world.repo.id } }), expected: read },
  {
    fn: 'getArtifact',
    case: '',
    event: () => ({ pathParameters: { repo: world.repo.id, id: artifactId } }),
    expected: read,
  },
  {
    fn: 'createRelease',
    case: '',
    event: () => ({ pathParameters: { repo: world.repo.id }, body: { version: `2.0.${parseInt(fresh(), 16)}` } }),
    expected: write,
  },
  { fn: 'listReleases', case: '', event: () => ({ pathParameters: { repo: world.repo.id } }), expected: read },
  {
    fn: 'getRelease',
    case: 'by id',
    event: () => ({ pathParameters: { repo: world.repo.id, id: release.id } }),
    expected: read,
  },
  {
    fn: 'getRelease',
    case: 'by version',
    event: () => ({ pathParameters: { repo: world.repo.id, id: release.version } }),
    expected: read,
  },
  { fn: 'getLatestRelease', case: '', event: () => ({ pathParameters: { repo: world.repo.id } }), expected: read },
  {
    fn: 'createDeployment',
    case: 'to dev',
    event: () => ({ pathParameters: { repo: world.repo.id, id: release.id }, body: { environmentId: envs.dev!.id } }),
    expected: write,
  },
  {
    fn: 'createDeployment',
    case: 'to prod',
    event: () => ({ pathParameters: { repo: world.repo.id, id: release.id }, body: { environmentId: envs.prod!.id } }),
    expected: managerWrite,
  },
  {
    fn: 'listDeployments',
    case: '',
    event: () => ({ pathParameters: { repo: world.repo.id, id: release.id } }),
    expected: read,
  },
  { fn: 'getDeployment', case: '', event: () => ({ pathParameters: { id: deploymentId } }), expected: read },
  {
    fn: 'finishDeployment',
    case: 'in dev',
    event: async () => ({
      method: 'PATCH',
      pathParameters: { id: await inProgress('dev') },
      body: { status: 'success' },
    }),
    expected: read,
  },
  {
    fn: 'finishDeployment',
    case: 'in prod',
    event: async () => ({
      method: 'PATCH',
      pathParameters: { id: await inProgress('prod') },
      body: { status: 'failed' },
    }),
    expected: [401, 401, 401, 404, 403, 200],
  },
  {
    fn: 'listOrgEnvironments',
    case: 'by slug',
    event: () => ({ pathParameters: { org: world.org.slug } }),
    expected: read,
  },
  {
    fn: 'listOrgEnvironments',
    case: 'by id',
    event: () => ({ pathParameters: { org: world.org.id } }),
    expected: read,
  },
  {
    fn: 'getEnvironment',
    case: '',
    event: () => ({ pathParameters: { org: world.org.slug, environment: 'prod' } }),
    expected: read,
  },
  {
    fn: 'createEnvironment',
    case: '',
    event: () => ({ pathParameters: { org: world.org.slug }, body: { name: `qa-${fresh()}` } }),
    expected: managerWrite,
  },
  { fn: 'repoEnvironments', case: '', event: () => ({ pathParameters: { repo: world.repo.id } }), expected: read },
  {
    fn: 'updateEnvironment',
    case: '',
    event: () => ({
      method: 'PATCH',
      pathParameters: { org: world.org.slug, environment: 'dev' },
      body: { position: 1 },
    }),
    expected: [401, 401, 401, 404, 403, 200],
  },
  {
    fn: 'environmentHistory',
    case: '',
    event: () => ({ pathParameters: { repo: world.repo.id, environment: 'dev' } }),
    expected: read,
  },
  {
    fn: 'deliveryMetrics',
    case: '',
    event: () => ({ pathParameters: { repo: world.repo.id }, query: { environment: 'dev' } }),
    expected: read,
  },
  {
    fn: 'rollbackEnvironment',
    case: 'in dev',
    event: () => ({ pathParameters: { repo: world.repo.id, environment: 'dev' }, body: { reason: 'matrix' } }),
    expected: write,
  },
  {
    fn: 'reviewDeployment',
    case: "of a developer's deployment",
    event: async () => ({ pathParameters: { id: await waiting('developer') }, body: { decision: 'approve' } }),
    expected: [401, 401, 401, 404, 403, 201],
  },
  {
    fn: 'cancelDeployment',
    case: "of a developer's deployment",
    event: async () => ({ pathParameters: { id: await waiting('developer') }, body: {} }),
    expected: [401, 401, 401, 404, 200, 403],
  },
];

type Handler = Parameters<typeof invoke>[0];
const handlers = new Map<string, Handler>();

beforeAll(async () => {
  revoked = await createUser(pool, 'revoked', { orgSlug: world.org.slug, role: 'release_manager' });
  await revokeToken(pool, revoked.token);
  envs = await environmentsOf(pool, world.org.id);
  release = await releaseIn(pool, world.repo.id, world.releaseManager.id, '1.0.0');
  const asManager = { id: world.repo.id, orgId: world.org.id, role: 'release_manager' as const };
  const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString();
  // prod requires stg; and dev has run two releases, so that it can always be rolled back
  await recordDeployment(pool, asManager, {
    release: release.id,
    deployedBy: world.releaseManager.id,
    environmentId: envs.stg!.id,
  });
  const previous = await releaseIn(pool, world.repo.id, world.releaseManager.id, '0.9.0');
  for (const [ref, hours] of [
    [previous.id, 2],
    [release.id, 1],
  ] as const) {
    await recordDeployment(pool, asManager, {
      release: ref,
      deployedBy: world.releaseManager.id,
      environmentId: envs.dev!.id,
      startedAt: hoursAgo(hours),
      endedAt: hoursAgo(hours),
    });
  }
  const org = { id: world.org.id, slug: world.org.slug, role: 'release_manager' as const };
  const gated = await createEnvironment(pool, org, { name: 'gated' });
  await updateEnvironment(pool, org, gated.id, { requiredApprovals: 1 });
  gatedId = gated.id;
  const file = writeBuildFile(world.repo.id, 'matrix/first', 'x');
  const artifact = await invoke((await import('../../functions/createArtifact')).handler, {
    pathParameters: { repo: world.repo.id },
    body: { name: 'a', path: file },
    token: world.developer.token,
  });
  artifactId = artifact.body.id;
  deploymentId = await inProgress('dev');
  for (const name of new Set(rows.map((row) => row.fn))) {
    handlers.set(name, ((await import(`../../functions/${name}.ts`)) as { handler: Handler }).handler);
  }
});

describe('the authorization matrix', () => {
  it('covers every API function in serverless.yml', () => {
    const declared = YAML.parse(fs.readFileSync('serverless.yml', 'utf8')).functions as Record<
      string,
      { events: Array<{ httpApi: { path: string } }> }
    >;
    const api = Object.entries(declared)
      .filter(([name, fn]) => name !== 'openapi' && fn.events[0]!.httpApi.path.startsWith('/api/v1/'))
      .map(([name]) => name);
    expect([...new Set(rows.map((row) => row.fn))].sort()).toEqual(api.sort());
  });

  it.each(
    rows.flatMap((row) =>
      PERSONAS.map(
        (persona, i) => [`${row.fn}${row.case ? ` (${row.case})` : ''}`, persona, row, row.expected[i]!] as const,
      ),
    ),
  )('%s as %s', async (_, persona, row, expected) => {
    const res = await invoke(handlers.get(row.fn)!, { ...(await row.event()), ...auth(persona) });
    expect(res.status).toBe(expected);
    if (res.status >= 400) expect(res.headers['content-type']).toBe('application/problem+json');
  });

  it.each([
    ['getRelease', () => ({ repo: world.repo.id, id: release.id }), (id: string) => ({ repo: world.repo.id, id })],
    ['getRelease', () => ({ repo: world.repo.id, id: release.id }), (id: string) => ({ repo: id, id: release.id })],
    ['getArtifact', () => ({ repo: world.repo.id, id: artifactId }), (id: string) => ({ repo: world.repo.id, id })],
    ['getDeployment', () => ({ id: deploymentId }), (id: string) => ({ id })],
    ['listDeployments', () => ({ repo: world.repo.id, id: release.id }), (id: string) => ({ repo: world.repo.id, id })],
    ['repoEnvironments', () => ({ repo: world.repo.id }), (id: string) => ({ repo: id })],
    [
      'environmentHistory',
      () => ({ repo: world.repo.id, environment: 'dev' }),
      (id: string) => ({ repo: id, environment: 'dev' }),
    ],
    ['listOrgEnvironments', () => ({ org: world.org.slug }), () => ({ org: `no-such-org-${fresh()}` })],
  ] as const)('tells an outsider nothing about whether a %s target exists', async (fn, existing, missing) => {
    const handler = handlers.get(fn)!;
    const unknown = randomUUID();
    const real = await invoke(handler, { pathParameters: existing(), token: world.outsider.token });
    const fake = await invoke(handler, { pathParameters: missing(unknown), token: world.outsider.token });
    expect(real.status).toBe(404);
    expect(fake.status).toBe(404);
    const scrub = (detail: string) => detail.replace(/[0-9a-f]{8}-[0-9a-f-]{27}|no-such-org-\w+|[\w-]*org-\w+/g, 'X');
    expect(scrub(real.body.detail)).toBe(scrub(fake.body.detail));
    expect(Object.keys(real.headers).sort()).toEqual(Object.keys(fake.headers).sort());
  });
});
