import { randomBytes } from 'node:crypto';
import createConnectionPool, { type ConnectionPool, sql } from '@databases/pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { endpointHandlers } from '../helpers/endpoints';
import type { EventOptions } from '../helpers/events';
import { invoke } from '../helpers/events';
import { type Receiver, startReceiver } from '../helpers/receiver';
import { startTcpProxy, type TcpProxy } from '../helpers/tcpProxy';

// The handlers reach the run's Postgres through a real TCP proxy, which the test switches between a working network,
// one that refuses connections and one that swallows them; each handler is warmed first, so that its token is known
// to the process and the fault lands on the endpoint's own query, after authentication.
const TIMEOUT_MS = 300;
let proxy: TcpProxy;
let seed: ConnectionPool;
type Handler = Parameters<typeof invoke>[0];
const handlers = new Map<string, Handler>();
let events: Record<string, () => Promise<EventOptions>>;
let receiver: Receiver;
let orgId = '';

beforeAll(async () => {
  proxy = await startTcpProxy(inject('databaseUrl'));
  // before anything loads lib/infra/config: the handlers of this file talk through the proxy, with a short timeout
  process.env.DATABASE_URL = proxy.url;
  process.env.DATABASE_TIMEOUT_MS = String(TIMEOUT_MS);
  // webhooks target a receiver of this file's own on loopback; nothing delivers on this database
  process.env.WEBHOOK_ALLOW_PRIVATE = 'true';
  receiver = await startReceiver();
  seed = createConnectionPool({ connectionString: inject('databaseUrl'), bigIntMode: 'number', poolSize: 2 });
  const { createOrg, createRepo, createUser } = await import('../../lib/domain/orgs');
  const { createRelease } = await import('../../lib/domain/releases');
  const { createDeployment } = await import('../../lib/domain/deployments');
  const { uploadArtifact } = await import('../../lib/domain/artifacts');
  const { addReleaseArtifact } = await import('../../lib/domain/releaseAssets');
  const { environmentsOf } = await import('../helpers/deployments');
  const { createToken } = await import('../../lib/domain/tokens');
  const org = await createOrg(seed, `outage-${randomBytes(5).toString('hex')}`);
  orgId = org.id;
  const repo = await createRepo(seed, org.slug, 'app');
  const rm = await createUser(seed, 'rm', { orgSlug: org.slug, role: 'release_manager' });
  const release = await createRelease(seed, { repoId: repo.id, createdBy: rm.id, version: '1.0.0' });
  const dev = (await environmentsOf(seed, org.id)).dev!;
  const access = { id: repo.id, orgId: org.id, role: 'release_manager' as const };
  const deployment = await createDeployment(seed, access, {
    release: release.id,
    deployedBy: rm.id,
    environmentId: dev.id,
  });
  const upload = () => ({ query: { name: 'a.bin' }, body: randomBytes(16) });
  const artifact = await (async () => {
    const { handler } = await import('../../functions/createArtifact');
    return (await invoke(handler, { pathParameters: { repo: repo.id }, ...upload(), token: rm.token })).body;
  })();
  const inProgress = async () =>
    (
      await createDeployment(seed, access, {
        release: release.id,
        deployedBy: rm.id,
        environmentId: dev.id,
        status: 'in_progress',
      })
    ).id;
  // the pipeline's writes: a release that ran in dev before (so dev can be rolled back), and an environment whose
  // deployments wait for a review (by a second release manager) or a cancel (by their requester)
  const earlier = await createRelease(seed, { repoId: repo.id, createdBy: rm.id, version: '0.9.0' });
  await createDeployment(seed, access, {
    release: earlier.id,
    deployedBy: rm.id,
    environmentId: dev.id,
    startedAt: new Date(Date.now() - 3_600_000).toISOString(),
  });
  const { createEnvironment, updateEnvironment } = await import('../../lib/domain/environments');
  const orgAccess = { ...org, role: 'release_manager' as const };
  const gated = await createEnvironment(seed, orgAccess, { name: 'gated', actorId: rm.id });
  await updateEnvironment(seed, orgAccess, gated.id, { requiredApprovals: 1 }, rm.id);
  const reviewer = await createUser(seed, 'reviewer', { orgSlug: org.slug, role: 'release_manager' });
  const waiting = async () =>
    (await createDeployment(seed, access, { release: release.id, deployedBy: rm.id, environmentId: gated.id })).id;
  // a webhook with one delivery (of an environment's event); webhooks to delete are made one per call
  const { createWebhook } = await import('../../lib/domain/webhooks');
  const newWebhook = async () =>
    (
      await createWebhook(
        seed,
        orgAccess,
        rm.id,
        { url: `${receiver.url}/outage`, secret: 'outage-secret-0123456789' },
        { allowPrivate: true },
      )
    ).id;
  const webhookId = await newWebhook();
  await createEnvironment(seed, orgAccess, { name: 'hooked', actorId: rm.id });
  const [{ id: deliveryId }] = await seed.query(sql`SELECT id FROM webhook_deliveries WHERE webhook_id = ${webhookId}`);
  const token = rm.token;
  const r = { repo: repo.id };
  // the GitHub-compatible surface names things by org slug, repo name and integer ids
  const githubIdOf = async (table: 'releases' | 'deployments' | 'artifacts', id: string) =>
    String((await seed.query(sql`SELECT github_id FROM ${sql.ident(table)} WHERE id = ${id}`))[0].github_id);
  const gh = { owner: org.slug, repo: 'app' };
  // one status of the deployment, by GitHub's id, read once while the network passes
  let statusId: string | undefined;
  const firstStatusId = async () => {
    if (statusId === undefined) {
      const { handler } = await import('../../functions/ghListDeploymentStatuses');
      const listed = await invoke(handler, { pathParameters: { ...gh, deployment_id: deploymentId }, token });
      statusId = String((listed.body as Array<{ id: number }>)[0]?.id);
    }
    return statusId;
  };
  const undeployed = await createRelease(seed, { repoId: repo.id, createdBy: rm.id, version: '3.0.0' });
  const undeployedId = await githubIdOf('releases', undeployed.id);
  const releaseId = await githubIdOf('releases', release.id);
  const deploymentId = await githubIdOf('deployments', deployment.id);
  const { handler: ghUpload } = await import('../../functions/ghUploadReleaseAsset');
  const asset = await invoke(ghUpload, {
    pathParameters: { ...gh, release_id: undeployedId },
    query: { name: 'first.bin' },
    body: randomBytes(16),
    token,
  });
  const fresh = () => randomBytes(3).readUIntBE(0, 3);
  const newRelease = () => createRelease(seed, { repoId: repo.id, createdBy: rm.id, version: `5.0.${fresh()}` });
  events = {
    ghListReleases: async () => ({ pathParameters: gh, token }),
    ghCreateRelease: async () => ({ pathParameters: gh, body: { tag_name: `v4.0.${fresh()}` }, token }),
    ghGetRelease: async () => ({ pathParameters: { ...gh, release_id: releaseId }, token }),
    ghGetLatestRelease: async () => ({ pathParameters: gh, token }),
    ghGetReleaseByTag: async () => ({ pathParameters: { ...gh, tag: 'v1.0.0' }, token }),
    // no git history here either: GitHub's shape of the same 409
    ghGenerateReleaseNotes: async () => ({
      pathParameters: gh,
      body: { tag_name: 'v9.0.0', target_commitish: 'main' },
      token,
    }),
    ghUploadReleaseAsset: async () => ({
      pathParameters: { ...gh, release_id: undeployedId },
      query: { name: `a${fresh()}.bin` },
      body: randomBytes(16),
      token,
    }),
    ghUpdateRelease: async () => ({
      method: 'PATCH',
      pathParameters: { ...gh, release_id: undeployedId },
      body: { name: 'Renamed' },
      token,
    }),
    ghDeleteRelease: async () => ({
      method: 'DELETE',
      pathParameters: { ...gh, release_id: await githubIdOf('releases', (await newRelease()).id) },
      token,
    }),
    ghDeleteReleaseAsset: async () => {
      const file = { name: `d${fresh()}.bin`, contentType: 'application/octet-stream' };
      const added = await addReleaseArtifact(seed, access, undeployed.id, file, randomBytes(16));
      return { method: 'DELETE', pathParameters: { ...gh, asset_id: await githubIdOf('artifacts', added.id) }, token };
    },
    ghListReleaseAssets: async () => ({ pathParameters: { ...gh, release_id: undeployedId }, token }),
    ghGetReleaseAsset: async () => ({ pathParameters: { ...gh, asset_id: String(asset.body.id) }, token }),
    ghCreateDeployment: async () => ({ pathParameters: gh, body: { ref: 'v1.0.0', environment: 'dev' }, token }),
    ghListDeployments: async () => ({ pathParameters: gh, token }),
    ghGetDeployment: async () => ({ pathParameters: { ...gh, deployment_id: deploymentId }, token }),
    ghCreateDeploymentStatus: async () => ({
      pathParameters: { ...gh, deployment_id: await githubIdOf('deployments', await inProgress()) },
      body: { state: 'success' },
      token,
    }),
    ghListDeploymentStatuses: async () => ({ pathParameters: { ...gh, deployment_id: deploymentId }, token }),
    ghListEnvironments: async () => ({ pathParameters: gh, token }),
    ghGetEnvironment: async () => ({ pathParameters: { ...gh, environment_name: 'dev' }, token }),
    createArtifact: async () => ({ pathParameters: r, ...upload(), token }),
    createDeployment: async () => ({
      pathParameters: { ...r, id: release.id },
      body: { environmentId: dev.id },
      token,
    }),
    createEnvironment: async () => ({
      pathParameters: { org: org.slug },
      body: { name: `e${randomBytes(6).toString('hex')}` },
      token,
    }),
    createRelease: async () => ({
      pathParameters: r,
      body: { version: `2.0.${randomBytes(3).readUIntBE(0, 3)}` },
      token,
    }),
    updateRelease: async () => ({
      method: 'PATCH',
      pathParameters: { ...r, id: undeployed.id },
      body: { notes: 'edited' },
      token,
    }),
    deleteRelease: async () => ({ method: 'DELETE', pathParameters: { ...r, id: (await newRelease()).id }, token }),
    deleteArtifact: async () => {
      const made = await uploadArtifact(seed, repo.id, { name: `d${fresh()}.bin` }, randomBytes(16));
      return { method: 'DELETE', pathParameters: { ...r, id: made.id }, token };
    },
    finishDeployment: async () => ({
      method: 'PATCH',
      pathParameters: { id: await inProgress() },
      body: { status: 'success' },
      token,
    }),
    getArtifact: async () => ({ pathParameters: { ...r, id: artifact.id }, token }),
    downloadArtifact: async () => ({ pathParameters: { ...r, id: artifact.id }, token }),
    getDeployment: async () => ({ pathParameters: { id: deployment.id }, token }),
    getEnvironment: async () => ({ pathParameters: { org: org.slug, environment: 'dev' }, token }),
    getLatestRelease: async () => ({ pathParameters: r, token }),
    getRelease: async () => ({ pathParameters: { ...r, id: release.id }, token }),
    health: async () => ({}),
    listArtifacts: async () => ({ pathParameters: r, token }),
    listDeployments: async () => ({ pathParameters: { ...r, id: release.id }, token }),
    listOrgEnvironments: async () => ({ pathParameters: { org: org.slug }, token }),
    listReleases: async () => ({ pathParameters: r, token }),
    listRepos: async () => ({ token }),
    getRepoByName: async () => ({ pathParameters: { org: org.slug, name: 'app' }, token }),
    repoEvents: async () => ({ pathParameters: r, token }),
    orgEvents: async () => ({ pathParameters: { org: org.slug }, token }),
    repoEnvironments: async () => ({ pathParameters: r, token }),
    createToken: async () => ({ body: { name: 'outage', scopes: ['read'] }, token }),
    listTokens: async () => ({ token }),
    getUser: async () => ({ token }),
    deleteToken: async () => ({
      method: 'DELETE',
      pathParameters: { id: (await createToken(seed, rm.id, { name: 'to revoke', scopes: ['read'] })).id },
      token,
    }),
    updateEnvironment: async () => ({
      method: 'PATCH',
      pathParameters: { org: org.slug, environment: 'dev' },
      body: { position: 1 },
      token,
    }),
    environmentHistory: async () => ({ pathParameters: { ...r, environment: 'dev' }, token }),
    rollbackEnvironment: async () => ({
      pathParameters: { ...r, environment: 'dev' },
      body: { reason: 'outage drill' },
      token,
    }),
    reviewDeployment: async () => ({
      pathParameters: { id: await waiting() },
      body: { decision: 'approve' },
      token: reviewer.token,
    }),
    cancelDeployment: async () => ({ pathParameters: { id: await waiting() }, body: {}, token }),
    deliveryMetrics: async () => ({ pathParameters: r, query: { environment: 'dev' }, token }),
    createWebhook: async () => ({
      pathParameters: { org: org.slug },
      body: { url: `${receiver.url}/outage`, secret: 'outage-secret-0123456789' },
      token,
    }),
    listWebhooks: async () => ({ pathParameters: { org: org.slug }, token }),
    deleteWebhook: async () => ({ method: 'DELETE', pathParameters: { org: org.slug, id: await newWebhook() }, token }),
    listWebhookDeliveries: async () => ({ pathParameters: { org: org.slug, id: webhookId }, token }),
    redeliverWebhook: async () => ({ pathParameters: { org: org.slug, id: webhookId, deliveryId }, body: {}, token }),
    ghRoot: async () => ({}),
    ghGetAuthenticatedUser: async () => ({ token }),
    ghGetUser: async () => ({ pathParameters: { login: 'rm' }, token }),
    ghGetRepo: async () => ({ pathParameters: gh, token }),
    ghGetDeploymentStatus: async () => ({
      pathParameters: { ...gh, deployment_id: deploymentId, status_id: await firstStatusId() },
      token,
    }),
    ghGraphql: async () => ({
      body: { query: `{ repository(owner: "${org.slug}", name: "app") { releases(first: 1) { nodes { tagName } } } }` },
      token,
    }),
    // the repo has no git history here: the 409 that says so is read from the database
    draftReleaseNotes: async () => ({ pathParameters: r, body: { commit: 'main' }, token }),
    healthReady: async () => ({}),
    // built from code, not read from the database: they keep answering through any outage
    openapi: async () => ({}),
    dashboard: async () => ({}),
    dashboardScript: async () => ({}),
  };
  for (const [name, handler] of await endpointHandlers()) handlers.set(name, handler);
}, 120_000);

afterAll(async () => {
  const { closeDb } = await import('../../lib/infra/db');
  await closeDb();
  await proxy?.close();
  await seed?.query(sql`DELETE FROM webhooks WHERE org_id = ${orgId}`);
  await seed?.dispose();
  await receiver?.close();
  expect(receiver?.received).toEqual([]);
  delete process.env.DATABASE_TIMEOUT_MS;
});

// the public ones are built from code; GET /user answers from the identity authenticated before the outage
const FROM_CODE = new Set(['openapi', 'dashboard', 'dashboardScript', 'getUser', 'ghRoot']);

/** Endpoints whose answer with the database up is a refusal read from it (the repo has no git history here). */
const WARM_REFUSAL: Record<string, number> = { draftReleaseNotes: 409, ghGenerateReleaseNotes: 409 };

async function call(name: string) {
  return invoke(handlers.get(name)!, await events[name]!());
}

/** The first answer below 300 of up to three tries: a pooled connection the outage cut is found dead on its next use. */
async function afterRecovery(name: string) {
  let res = await call(name);
  for (let attempt = 1; attempt < 3 && res.status >= 300 && res.status !== WARM_REFUSAL[name]; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    res = await call(name);
  }
  return res;
}

function expectUnavailable(name: string, res: Awaited<ReturnType<typeof invoke>>) {
  if (name === 'healthReady') {
    // readiness says which of its checks failed: the database, and the migrations it could not read
    expect({ name, status: res.status, type: res.headers['content-type'] }).toEqual({
      name,
      status: 503,
      type: 'application/problem+json',
    });
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(res.body.detail).toMatch(/^Not ready: database\b/);
    return;
  }
  if (name.startsWith('gh')) {
    // GitHub's shape, which Octokit parses
    expect({ name, status: res.status, type: res.headers['content-type'] }).toEqual({
      name,
      status: 503,
      type: 'application/json; charset=utf-8',
    });
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(res.body).toMatchObject({ message: 'The database is unavailable; retry shortly.', status: '503' });
    return;
  }
  expect({ name, status: res.status, type: res.headers['content-type'] }).toEqual({
    name,
    status: 503,
    type: 'application/problem+json',
  });
  expect(res.headers['retry-after']).toMatch(/^\d+$/);
  expect(res.body).toMatchObject({ status: 503, detail: 'The database is unavailable; retry shortly.' });
}

describe('a database the network cuts off after the caller was authenticated', () => {
  it('has an event for every function, so none escapes the outage checks', () => {
    expect([...handlers.keys()].sort()).toEqual(Object.keys(events).sort());
  });

  it('answers every endpoint 503 with Retry-After when the database hangs, then recovers without a restart', async () => {
    for (const name of [...handlers.keys()].sort()) {
      proxy.setMode('pass');
      const warm = await afterRecovery(name);
      expect({ name, warm: warm.status < 300 || warm.status === WARM_REFUSAL[name] || warm }).toEqual({
        name,
        warm: true,
      });

      proxy.setMode('hang');
      const started = Date.now();
      const hung = await call(name);
      const elapsed = Date.now() - started;
      if (FROM_CODE.has(name)) {
        expect({ name, status: hung.status }).toEqual({ name, status: 200 });
      } else {
        expectUnavailable(name, hung);
        // bounded by DATABASE_TIMEOUT_MS (connect, queue, statement) plus the client's 1 s read margin, not by the
        // network: generous so that a loaded machine passes, far below a hang
        expect({ name, boundedMs: elapsed < TIMEOUT_MS * 4 + 1000 + 3000 }).toEqual({ name, boundedMs: true });
        // the request did reach the database, and what it sent was the endpoint's query, not the token lookup:
        // the fault landed after authentication
        const sent = proxy.received();
        expect({ name, reachedDatabase: sent.length > 0 }).toEqual({ name, reachedDatabase: true });
        if (name !== 'health') {
          // the token endpoints' own queries read api_tokens too: only the lookup matches on t.token_hash
          expect({ name, tokenLookedUpInOutage: sent.includes('t.token_hash') }).toEqual({
            name,
            tokenLookedUpInOutage: false,
          });
        }
      }

      proxy.setMode('pass');
      const recovered = await afterRecovery(name);
      expect({
        name,
        recovered: recovered.status < 300 || recovered.status === WARM_REFUSAL[name] || recovered,
      }).toEqual({ name, recovered: true });
    }
    // every endpoint in turn, each through three phases, one of them waiting out DATABASE_TIMEOUT_MS and the read margin
  }, 300_000);

  it('answers every endpoint 503 with Retry-After when the database refuses connections, then recovers', async () => {
    // a refused connection costs @databases/pg two seconds of retries before it gives up, so the endpoints meet the
    // refusal a pool's worth at a time (each request its own connection attempt: the pool has DATABASE_POOL_SIZE)
    const names = [...handlers.keys()].sort();
    const { databasePoolSize } = (await import('../../lib/infra/config')).config();
    for (let start = 0; start < names.length; start += databasePoolSize) {
      const batch = names.slice(start, start + databasePoolSize);
      proxy.setMode('pass');
      for (const name of batch) {
        const warm = await afterRecovery(name);
        expect({ name, warm: warm.status < 300 || warm.status === WARM_REFUSAL[name] || warm }).toEqual({
          name,
          warm: true,
        });
      }
      proxy.setMode('refuse');
      const refused = await Promise.all(batch.map(call));
      batch.forEach((name, i) => {
        if (FROM_CODE.has(name)) expect({ name, status: refused[i]!.status }).toEqual({ name, status: 200 });
        else expectUnavailable(name, refused[i]!);
      });
      proxy.setMode('pass');
      for (const name of batch) {
        const recovered = await afterRecovery(name);
        expect({
          name,
          recovered: recovered.status < 300 || recovered.status === WARM_REFUSAL[name] || recovered,
        }).toEqual({ name, recovered: true });
      }
    }
  }, 180_000);
});

it('ties each request of the refuse phase to a real connection attempt', async () => {
  const { closeDb } = await import('../../lib/infra/db');
  await closeDb();
  proxy.setMode('refuse');
  expectUnavailable('listReleases', await call('listReleases'));
  expect(proxy.connections).toBeGreaterThan(0);
  proxy.setMode('pass');
  expect((await call('listReleases')).status).toBe(200);
});
