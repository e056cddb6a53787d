import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerArtifact } from '../../lib/domain/artifacts';
import { createDeployment as recordDeployment } from '../../lib/domain/deployments';
import { createEnvironment, updateEnvironment } from '../../lib/domain/environments';
import { recordEvent } from '../../lib/domain/events';
import { revokeToken } from '../../lib/domain/identity';
import { createUser } from '../../lib/domain/orgs';
import { createWebhook } from '../../lib/domain/webhooks';
import { sql } from '../../lib/infra/db';
import { contracts, type FunctionName } from '../../schemas/contracts';
import { SCOPES, type Scope } from '../../schemas/tokens';
import { makeHistory } from '../../scripts/lib/gitHistory';
import { environmentsOf, releaseIn } from '../helpers/deployments';
import { type EventOptions, invoke } from '../helpers/events';
import { type Member, tokenWith, writeBuildFile } from '../helpers/factories';
import { gitDirFor } from '../helpers/gitRepos';
import { type Receiver, startReceiver } from '../helpers/receiver';
import { useWorld } from '../helpers/world';

// Every endpoint against every kind of caller, with the exact status each must get; then against a release manager's
// tokens of one scope each, which get the release manager's status with the endpoint's scope and 403 without it.
const { pool, world } = useWorld();
let revoked: Member;
const scoped = new Map<Scope, string>();
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
// a receiver of this file's own on loopback, which WEBHOOK_ALLOW_PRIVATE=true lets the endpoints register; nothing
// delivers on this database (test/helpers/setupEnv.ts), and the file deletes its webhooks when done
process.env.WEBHOOK_ALLOW_PRIVATE = 'true';
let receiver: Receiver;
let HOOK_URL = '';
const HOOK_SECRET = 'matrix-secret-0123456789';
const hook = { id: '', deliveryId: '' };

/** A webhook of the world's org, made as its release manager would. */
async function webhookOfOrg(): Promise<string> {
  const org = { id: world.org.id, slug: world.org.slug, role: 'release_manager' as const };
  const made = await createWebhook(
    pool,
    org,
    world.releaseManager.id,
    { url: HOOK_URL, secret: HOOK_SECRET },
    { allowPrivate: true },
  );
  return made.id;
}
const open = [200, 200, 200, 200, 200, 200];
const read = [401, 401, 401, 404, 200, 200];
const write = [401, 401, 401, 404, 201, 201];
const managerWrite = [401, 401, 401, 404, 403, 201];

interface Row {
  fn: string;
  case: string;
  /** the scope the endpoint needs (null: any token; public: no token) */
  scope: Scope | null | 'public';
  event: () => Promise<EventOptions> | EventOptions;
  expected: number[];
  /** the status of each one-scope token (in SCOPES order), where it is not simply the release manager's or 403 */
  byScope?: number[];
}

const rows: Row[] = [
  { fn: 'health', scope: 'public', case: '', event: () => ({}), expected: open },
  { fn: 'healthReady', scope: 'public', case: '', event: () => ({}), expected: open },
  { fn: 'listRepos', scope: 'read', case: '', event: () => ({}), expected: [401, 401, 401, 200, 200, 200] },
  {
    fn: 'getRepoByName',
    scope: 'read',
    case: '',
    event: () => ({ pathParameters: { org: world.org.slug, name: world.repo.name } }),
    expected: read,
  },
  {
    fn: 'repoEvents',
    scope: 'read',
    case: '',
    event: () => ({ pathParameters: { repo: world.repo.id } }),
    expected: read,
  },
  {
    fn: 'orgEvents',
    scope: 'read',
    case: '',
    event: () => ({ pathParameters: { org: world.org.slug } }),
    expected: read,
  },
  {
    fn: 'createArtifact',
    scope: 'release',
    case: 'register',
    event: () => ({
      pathParameters: { repo: world.repo.id },
      body: { name: 'a', path: writeBuildFile(world.repo.id, `matrix/${fresh()}`, 'x') },
    }),
    expected: write,
  },
  {
    fn: 'createArtifact',
    scope: 'release',
    case: 'upload',
    event: () => ({ pathParameters: { repo: world.repo.id }, query: { name: 'a' }, body: Buffer.from(fresh()) }),
    expected: write,
  },
  {
    fn: 'listArtifacts',
    scope: 'read',
    case: '',
    event: () => ({ pathParameters: { repo: world.repo.id } }),
    expected: read,
  },
  {
    fn: 'getArtifact',
    scope: 'read',
    case: '',
    event: () => ({ pathParameters: { repo: world.repo.id, id: artifactId } }),
    expected: read,
  },
  {
    fn: 'downloadArtifact',
    scope: 'read',
    case: '',
    event: () => ({ pathParameters: { repo: world.repo.id, id: artifactId } }),
    expected: read,
  },
  {
    fn: 'createRelease',
    scope: 'release',
    case: '',
    event: () => ({ pathParameters: { repo: world.repo.id }, body: { version: `2.0.${parseInt(fresh(), 16)}` } }),
    expected: write,
  },
  {
    fn: 'draftReleaseNotes',
    scope: 'read',
    case: '',
    event: () => ({ pathParameters: { repo: world.repo.id }, body: { commit: 'main' } }),
    expected: read,
  },
  {
    fn: 'listReleases',
    scope: 'read',
    case: '',
    event: () => ({ pathParameters: { repo: world.repo.id } }),
    expected: read,
  },
  {
    fn: 'getRelease',
    scope: 'read',
    case: 'by id',
    event: () => ({ pathParameters: { repo: world.repo.id, id: release.id } }),
    expected: read,
  },
  {
    fn: 'getRelease',
    scope: 'read',
    case: 'by version',
    event: () => ({ pathParameters: { repo: world.repo.id, id: release.version } }),
    expected: read,
  },
  {
    fn: 'getLatestRelease',
    scope: 'read',
    case: '',
    event: () => ({ pathParameters: { repo: world.repo.id } }),
    expected: read,
  },
  {
    fn: 'createDeployment',
    scope: 'deploy',
    case: 'to dev',
    event: () => ({ pathParameters: { repo: world.repo.id, id: release.id }, body: { environmentId: envs.dev!.id } }),
    expected: write,
  },
  {
    fn: 'createDeployment',
    scope: 'deploy',
    case: 'to prod',
    event: () => ({ pathParameters: { repo: world.repo.id, id: release.id }, body: { environmentId: envs.prod!.id } }),
    expected: managerWrite,
  },
  {
    fn: 'listDeployments',
    scope: 'read',
    case: '',
    event: () => ({ pathParameters: { repo: world.repo.id, id: release.id } }),
    expected: read,
  },
  {
    fn: 'getDeployment',
    scope: 'read',
    case: '',
    event: () => ({ pathParameters: { id: deploymentId } }),
    expected: read,
  },
  {
    fn: 'finishDeployment',
    scope: 'deploy',
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
    scope: 'deploy',
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
    scope: 'read',
    case: 'by slug',
    event: () => ({ pathParameters: { org: world.org.slug } }),
    expected: read,
  },
  {
    fn: 'listOrgEnvironments',
    scope: 'read',
    case: 'by id',
    event: () => ({ pathParameters: { org: world.org.id } }),
    expected: read,
  },
  {
    fn: 'getEnvironment',
    scope: 'read',
    case: '',
    event: () => ({ pathParameters: { org: world.org.slug, environment: 'prod' } }),
    expected: read,
  },
  {
    fn: 'createEnvironment',
    scope: 'admin',
    case: '',
    event: () => ({ pathParameters: { org: world.org.slug }, body: { name: `qa-${fresh()}` } }),
    expected: managerWrite,
  },
  {
    fn: 'repoEnvironments',
    scope: 'read',
    case: '',
    event: () => ({ pathParameters: { repo: world.repo.id } }),
    expected: read,
  },
  {
    fn: 'createToken',
    case: '',
    scope: null,
    event: () => ({ body: { name: 'matrix', scopes: ['read'] } }),
    expected: [401, 401, 401, 201, 201, 201],
    // a token may grant only scopes it has
    byScope: [201, 422, 422, 422],
  },
  { fn: 'listTokens', case: '', scope: 'read', event: () => ({}), expected: [401, 401, 401, 200, 200, 200] },
  { fn: 'getUser', case: '', scope: null, event: () => ({}), expected: [401, 401, 401, 200, 200, 200] },
  {
    fn: 'createWebhook',
    scope: 'admin',
    case: '',
    event: () => ({ pathParameters: { org: world.org.slug }, body: { url: HOOK_URL, secret: HOOK_SECRET } }),
    expected: managerWrite,
  },
  {
    fn: 'listWebhooks',
    scope: 'read',
    case: '',
    event: () => ({ pathParameters: { org: world.org.slug } }),
    expected: [401, 401, 401, 404, 403, 200],
  },
  {
    fn: 'deleteWebhook',
    scope: 'admin',
    case: '',
    event: async () => ({ method: 'DELETE', pathParameters: { org: world.org.slug, id: await webhookOfOrg() } }),
    expected: [401, 401, 401, 404, 403, 204],
  },
  {
    fn: 'listWebhookDeliveries',
    scope: 'read',
    case: '',
    event: () => ({ pathParameters: { org: world.org.slug, id: hook.id } }),
    expected: [401, 401, 401, 404, 403, 200],
  },
  {
    fn: 'redeliverWebhook',
    scope: 'admin',
    case: '',
    event: () => ({ pathParameters: { org: world.org.slug, id: hook.id, deliveryId: hook.deliveryId }, body: {} }),
    expected: [401, 401, 401, 404, 403, 202],
  },
  {
    fn: 'deleteToken',
    case: "a release manager's read token",
    scope: null,
    event: async () => {
      const target = await tokenWith(pool, world.releaseManager.id, ['read']);
      return { method: 'DELETE', pathParameters: { id: target.id } };
    },
    expected: [401, 401, 401, 404, 404, 204],
    // a token may revoke only tokens no broader than itself
    byScope: [204, 403, 403, 403],
  },
  {
    fn: 'updateEnvironment',
    scope: 'admin',
    case: '',
    event: () => ({
      method: 'PATCH',
      pathParameters: { org: world.org.slug, environment: 'dev' },
      body: { position: 1 },
    }),
    expected: [401, 401, 401, 404, 403, 200],
  },
  {
    fn: 'updateRelease',
    scope: 'release',
    case: 'a new title',
    event: async () => ({
      method: 'PATCH',
      pathParameters: { repo: world.repo.id, id: (await releaseIn(pool, world.repo.id, world.developer.id)).id },
      body: { title: 'Renamed' },
    }),
    expected: read,
  },
  {
    fn: 'deleteRelease',
    scope: 'release',
    case: 'never deployed',
    event: async () => ({
      method: 'DELETE',
      pathParameters: { repo: world.repo.id, id: (await releaseIn(pool, world.repo.id, world.developer.id)).id },
    }),
    expected: [401, 401, 401, 404, 204, 204],
  },
  {
    fn: 'deleteArtifact',
    scope: 'release',
    case: 'of no release',
    event: async () => {
      const made = await registerArtifact(pool, world.repo.id, {
        name: 'a',
        path: writeBuildFile(world.repo.id, `matrix/${fresh()}`, 'x'),
      });
      return { method: 'DELETE', pathParameters: { repo: world.repo.id, id: made.id } };
    },
    expected: [401, 401, 401, 404, 204, 204],
  },
  {
    fn: 'environmentHistory',
    scope: 'read',
    case: '',
    event: () => ({ pathParameters: { repo: world.repo.id, environment: 'dev' } }),
    expected: read,
  },
  {
    fn: 'deliveryMetrics',
    scope: 'read',
    case: '',
    event: () => ({ pathParameters: { repo: world.repo.id }, query: { environment: 'dev' } }),
    expected: read,
  },
  {
    fn: 'rollbackEnvironment',
    scope: 'deploy',
    case: 'in dev',
    event: () => ({ pathParameters: { repo: world.repo.id, environment: 'dev' }, body: { reason: 'matrix' } }),
    expected: write,
  },
  {
    fn: 'reviewDeployment',
    scope: 'deploy',
    case: "of a developer's deployment",
    event: async () => ({ pathParameters: { id: await waiting('developer') }, body: { decision: 'approve' } }),
    expected: [401, 401, 401, 404, 403, 201],
  },
  {
    fn: 'cancelDeployment',
    scope: 'deploy',
    case: "of a developer's deployment",
    event: async () => ({ pathParameters: { id: await waiting('developer') }, body: {} }),
    expected: [401, 401, 401, 404, 200, 403],
  },
];

type Handler = Parameters<typeof invoke>[0];
const handlers = new Map<string, Handler>();

afterAll(async () => {
  await pool.query(sql`DELETE FROM webhooks WHERE org_id IN (${world.org.id}, ${world.otherOrg.id})`);
  await receiver.close();
  expect(receiver.received).toEqual([]);
});

beforeAll(async () => {
  makeHistory(gitDirFor(world.org.slug, 'app'), [{ message: 'feat: a' }], { 'refs/heads/main': 0 });
  receiver = await startReceiver();
  HOOK_URL = `${receiver.url}/matrix`;
  revoked = await createUser(pool, 'revoked', { orgSlug: world.org.slug, role: 'release_manager' });
  await revokeToken(pool, revoked.token);
  for (const scope of SCOPES) scoped.set(scope, (await tokenWith(pool, world.releaseManager.id, [scope])).token);
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
  const gated = await createEnvironment(pool, org, { name: 'gated', actorId: world.releaseManager.id });
  await updateEnvironment(pool, org, gated.id, { requiredApprovals: 1 }, world.releaseManager.id);
  gatedId = gated.id;
  const file = writeBuildFile(world.repo.id, 'matrix/first', 'x');
  const artifact = await invoke((await import('../../functions/createArtifact')).handler, {
    pathParameters: { repo: world.repo.id },
    body: { name: 'a', path: file },
    token: world.developer.token,
  });
  artifactId = artifact.body.id;
  deploymentId = await inProgress('dev');
  hook.id = await webhookOfOrg();
  await pool.tx((tx) =>
    recordEvent(tx, {
      type: 'environment.created',
      orgId: world.org.id,
      repoId: null,
      actorId: world.releaseManager.id,
      resource: {},
    }),
  );
  const [delivery] = await pool.query(sql`SELECT id FROM webhook_deliveries WHERE webhook_id = ${hook.id}`);
  hook.deliveryId = delivery.id;
  for (const name of new Set(rows.map((row) => row.fn))) {
    handlers.set(name, ((await import(`../../functions/${name}.ts`)) as { handler: Handler }).handler);
  }
});

describe('the authorization matrix', () => {
  it('covers every route of the API under /api/v1', () => {
    const api = Object.entries(contracts)
      .filter(([name, route]) => name !== 'openapi' && route.path.startsWith('/api/v1/'))
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

  it.each(
    rows.flatMap((row) =>
      SCOPES.map((scope, i) => {
        const manager = row.expected[PERSONAS.indexOf('releaseManager')]!;
        const fits = row.scope === 'public' || row.scope === null || row.scope === scope;
        const expected = row.byScope?.[i] ?? (fits ? manager : 403);
        return [`${row.fn}${row.case ? ` (${row.case})` : ''}`, scope, row, expected] as const;
      }),
    ),
  )('%s with a token of only the %s scope', async (_, scope, row, expected) => {
    const res = await invoke(handlers.get(row.fn)!, { ...(await row.event()), token: scoped.get(scope)! });
    expect(res.status).toBe(expected);
    // a 403 for want of the scope says so; one the role or a rule gives (a scope that fits) is the domain's own
    if (expected === 403 && row.scope !== null && row.scope !== 'public' && row.scope !== scope) {
      expect(res.body.detail).toBe(
        `This endpoint needs a token with the ${row.scope} scope; the token you sent has ${scope}.`,
      );
    }
  });

  it('declares in each contract the scope the matrix expects of it', () => {
    for (const row of rows) {
      expect([row.fn, contracts[row.fn as FunctionName].scope]).toEqual([row.fn, row.scope]);
    }
  });

  it.each([
    ['getRelease', () => ({ repo: world.repo.id, id: release.id }), (id: string) => ({ repo: world.repo.id, id })],
    ['getRelease', () => ({ repo: world.repo.id, id: release.id }), (id: string) => ({ repo: id, id: release.id })],
    ['getArtifact', () => ({ repo: world.repo.id, id: artifactId }), (id: string) => ({ repo: world.repo.id, id })],
    [
      'downloadArtifact',
      () => ({ repo: world.repo.id, id: artifactId }),
      (id: string) => ({ repo: world.repo.id, id }),
    ],
    ['getDeployment', () => ({ id: deploymentId }), (id: string) => ({ id })],
    ['listDeployments', () => ({ repo: world.repo.id, id: release.id }), (id: string) => ({ repo: world.repo.id, id })],
    ['repoEnvironments', () => ({ repo: world.repo.id }), (id: string) => ({ repo: id })],
    [
      'environmentHistory',
      () => ({ repo: world.repo.id, environment: 'dev' }),
      (id: string) => ({ repo: id, environment: 'dev' }),
    ],
    ['listOrgEnvironments', () => ({ org: world.org.slug }), () => ({ org: `no-such-org-${fresh()}` })],
    ['repoEvents', () => ({ repo: world.repo.id }), (id: string) => ({ repo: id })],
    ['orgEvents', () => ({ org: world.org.slug }), () => ({ org: `no-such-org-${fresh()}` })],
    [
      'getRepoByName',
      () => ({ org: world.org.slug, name: world.repo.name }),
      () => ({ org: `no-such-org-${fresh()}`, name: 'app' }),
    ],
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
