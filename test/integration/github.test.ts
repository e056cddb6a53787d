import { sql } from '@databases/pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { handler as createGhDeployment } from '../../functions/ghCreateDeployment';
import { handler as createDeploymentStatus } from '../../functions/ghCreateDeploymentStatus';
import { handler as createGhRelease } from '../../functions/ghCreateRelease';
import { handler as getGhEnvironment } from '../../functions/ghGetEnvironment';
import { handler as getGhRelease } from '../../functions/ghGetRelease';
import { handler as listStatuses } from '../../functions/ghListDeploymentStatuses';
import { handler as listGhReleases } from '../../functions/ghListReleases';
import { handler as uploadAsset } from '../../functions/ghUploadReleaseAsset';
import { createDeployment } from '../../lib/domain/deployments';
import { createEnvironment, updateEnvironment } from '../../lib/domain/environments';
import { createUser } from '../../lib/domain/orgs';
import { cancelDeployment, reviewDeployment } from '../../lib/domain/reviews';
import { config } from '../../lib/infra/config';
import { environmentsOf, releaseIn } from '../helpers/deployments';
import { apiEvent, invoke, lambdaContext } from '../helpers/events';
import { type Member, tokenWith } from '../helpers/factories';
import { useWorld } from '../helpers/world';

// The GitHub-compatible surface's rules beyond what the octokit e2e run shows: who may call it, how GitHub's states
// map onto approvals and final-once, paging, and its refusals.
const { pool, world } = useWorld();
let gh: { owner: string; repo: string };
let reviewer: Member;

beforeAll(async () => {
  gh = { owner: world.org.slug, repo: 'app' };
  reviewer = await createUser(pool, 'reviewer', { orgSlug: world.org.slug, role: 'release_manager' });
  const org = { id: world.org.id, slug: world.org.slug, role: 'release_manager' as const };
  const gated = await createEnvironment(pool, org, { name: 'gated', actorId: world.releaseManager.id });
  await updateEnvironment(pool, org, gated.id, { requiredApprovals: 1 }, world.releaseManager.id);
});

async function githubId(table: 'releases' | 'deployments', id: string): Promise<number> {
  const [row] = await pool.query(sql`SELECT github_id FROM ${sql.ident(table)} WHERE id = ${id}`);
  return Number(row.github_id);
}

async function statesOf(deploymentId: number): Promise<string[]> {
  const res = await invoke(listStatuses, {
    pathParameters: { ...gh, deployment_id: String(deploymentId) },
    token: world.releaseManager.token,
  });
  expect(res.status).toBe(200);
  return res.body.map((status: { state: string; description: string }) => `${status.state} ${status.description}`);
}

async function ghDeploy(environment: string, ref: string, token = world.releaseManager.token) {
  return invoke(createGhDeployment, { pathParameters: gh, body: { ref, environment }, token });
}

async function post(deploymentId: number, state: string, token = world.releaseManager.token) {
  return invoke(createDeploymentStatus, {
    pathParameters: { ...gh, deployment_id: String(deploymentId) },
    body: { state },
    token,
  });
}

describe('who may call the GitHub-compatible surface', () => {
  it('takes "token <token>" and "Bearer <token>", and refuses the rest in GitHub\'s shape', async () => {
    const release = await releaseIn(pool, world.repo.id, world.releaseManager.id);
    const path = { ...gh, release_id: String(await githubId('releases', release.id)) };
    const call = (authorization?: string) =>
      invoke(getGhRelease, { pathParameters: path, headers: authorization ? { authorization } : {} });
    expect((await call(`token ${world.developer.token}`)).status).toBe(200);
    expect((await call(`Bearer ${world.developer.token}`)).status).toBe(200);
    const missing = await call();
    expect([missing.status, missing.headers['content-type']]).toEqual([401, 'application/json; charset=utf-8']);
    expect(missing.body).toEqual({
      message: 'Requires authentication',
      documentation_url: 'https://docs.github.com/rest/releases/releases#get-a-release',
      status: '401',
    });
    const bad = await call('Basic abc');
    expect([bad.status, bad.body.message]).toEqual([401, 'Bad credentials']);
    const unknownToken = await call(`token gwr_${'x'.repeat(43)}`);
    expect([unknownToken.status, unknownToken.body.message]).toEqual([401, 'Bad credentials']);
    // another org's repo does not exist for the caller, whatever it holds
    expect((await call(`token ${world.outsider.token}`)).body).toEqual({
      message: 'Not Found',
      documentation_url: 'https://docs.github.com/rest/releases/releases#get-a-release',
      status: '404',
    });
    const readOnly = (await tokenWith(pool, world.releaseManager.id, ['read'])).token;
    const write = await invoke(createGhRelease, { pathParameters: gh, body: { tag_name: 'v7.0.0' }, token: readOnly });
    expect([write.status, write.body.message]).toEqual([
      403,
      'This endpoint needs a token with the release scope; the token you sent has read.',
    ]);
  });

  it('keeps the native rules: a developer cannot deploy to a protected environment, nor skip the pipeline', async () => {
    const release = await releaseIn(pool, world.repo.id, world.releaseManager.id, '5.0.0');
    const denied = await ghDeploy('stg', 'v5.0.0', world.developer.token);
    expect([denied.status, denied.body.message]).toEqual([
      403,
      'Deploying to protected environment stg needs the release_manager role; you are a developer in this org.',
    ]);
    const early = await ghDeploy('prod', 'v5.0.0');
    expect(early.status).toBe(409);
    expect(early.body.message).toMatch(/^Release 5\.0\.0 cannot be deployed to prod yet/);
    expect(release.version).toBe('5.0.0');
  });
});

describe('a GitHub release is a native release', () => {
  it("keeps GitHub's name as its title and target_commitish as its commit, in the native release and its event", async () => {
    const res = await invoke(createGhRelease, {
      pathParameters: gh,
      body: { tag_name: 'v8.0.0', name: 'Eighty', target_commitish: 'main', body: 'notes' },
      token: world.releaseManager.token,
    });
    expect([res.status, res.body.name, res.body.tag_name, res.body.target_commitish]).toEqual([
      201,
      'Eighty',
      'v8.0.0',
      'main',
    ]);
    const [event] = await pool.query(sql`
      SELECT e.resource FROM events e JOIN releases r ON r.id = (e.resource->>'id')::uuid
      WHERE e.type = 'release.created' AND r.github_id = ${res.body.id}`);
    expect(event.resource).toMatchObject({ version: '8.0.0', title: 'Eighty', commit: 'main', notes: 'notes' });
  });
});

describe('environments on the GitHub surface', () => {
  it('show their approvals as required_reviewers with the count, and the pipeline as required_environments', async () => {
    const org = { id: world.org.id, slug: world.org.slug, role: 'release_manager' as const };
    await createEnvironment(pool, org, { name: 'canary', actorId: world.releaseManager.id });
    await updateEnvironment(pool, org, 'canary', { requiredApprovals: 2, requires: ['dev'] }, world.releaseManager.id);
    const get = (name: string) =>
      invoke(getGhEnvironment, {
        pathParameters: { ...gh, environment_name: name },
        token: world.developer.token,
      });
    const canary = await get('canary');
    expect(canary.body.protection_rules).toEqual([
      expect.objectContaining({ type: 'required_reviewers', reviewers: [], required_approvals: 2 }),
      expect.objectContaining({ type: 'required_environments', environments: ['dev'] }),
    ]);
    expect((await get('dev')).body.protection_rules).toEqual([]);
  });
});

describe("GitHub's deployment states on our lifecycle", () => {
  it('records every status a deployment takes, from whatever changes it, newest first', async () => {
    await releaseIn(pool, world.repo.id, world.releaseManager.id, '6.0.0');
    const approved = await ghDeploy('gated', 'v6.0.0');
    expect(approved.status).toBe(201);
    expect(await statesOf(approved.body.id)).toEqual(['pending waiting for 1 approval(s)']);
    // running and finishing wait for the approval
    expect((await post(approved.body.id, 'in_progress')).body.errors).toEqual([
      {
        resource: 'DeploymentStatus',
        field: 'state',
        code: 'invalid',
        message: `Deployment ${approved.body.id} is waiting for approvals; it can run once it has been approved.`,
      },
    ]);
    expect((await post(approved.body.id, 'success')).status).toBe(422);
    expect((await post(approved.body.id, 'queued')).status).toBe(201);
    const [{ id }] = await pool.query(sql`SELECT id FROM deployments WHERE github_id = ${approved.body.id}`);
    await reviewDeployment(pool, { id, userId: reviewer.id, decision: 'approve' });
    expect((await post(approved.body.id, 'error')).status).toBe(201);
    expect(await statesOf(approved.body.id)).toEqual([
      'error ',
      'in_progress ',
      'queued ',
      'pending waiting for 1 approval(s)',
    ]);
    expect((await post(approved.body.id, 'in_progress')).body.message).toBe(
      `Deployment ${approved.body.id} is already failed, which is final: no status can follow it.`,
    );

    const rejected = await ghDeploy('gated', 'v6.0.0');
    const [{ id: rejectedId }] = await pool.query(
      sql`SELECT id FROM deployments WHERE github_id = ${rejected.body.id}`,
    );
    await reviewDeployment(pool, { id: rejectedId, userId: reviewer.id, decision: 'reject' });
    expect(await statesOf(rejected.body.id)).toEqual([
      'failure rejected in review',
      'pending waiting for 1 approval(s)',
    ]);

    const cancelled = await ghDeploy('gated', 'v6.0.0');
    const [{ id: cancelledId }] = await pool.query(
      sql`SELECT id FROM deployments WHERE github_id = ${cancelled.body.id}`,
    );
    await cancelDeployment(pool, { id: cancelledId, userId: world.releaseManager.id });
    expect(await statesOf(cancelled.body.id)).toEqual([
      'error cancelled by its requester',
      'pending waiting for 1 approval(s)',
    ]);
  });

  it("shows a native deployment's history, and refuses inactive", async () => {
    const release = await releaseIn(pool, world.repo.id, world.releaseManager.id);
    const dev = (await environmentsOf(pool, world.org.id)).dev!;
    const access = { id: world.repo.id, orgId: world.org.id, role: 'release_manager' as const };
    const native = await createDeployment(pool, access, {
      release: release.id,
      deployedBy: world.releaseManager.id,
      environmentId: dev.id,
      status: 'in_progress',
    });
    const deploymentId = await githubId('deployments', native.id);
    expect((await post(deploymentId, 'inactive')).status).toBe(422);
    expect((await post(deploymentId, 'failure')).status).toBe(201);
    expect(await statesOf(deploymentId)).toEqual(['failure ', 'in_progress ']);
    const [row] = await pool.query(sql`SELECT status FROM deployments WHERE id = ${native.id}`);
    expect(row.status).toBe('failed');
  });
});

describe('lists by page, as GitHub pages them', () => {
  it('reads per_page above 100 as 100, and links next and last with absolute URLs on PUBLIC_URL, whatever the Host says', async () => {
    const res = await invoke(listGhReleases, {
      pathParameters: gh,
      query: { per_page: '500' },
      path: `/api/v3/repos/${gh.owner}/app/releases`,
      headers: { host: 'gitweave.example:8443', 'x-forwarded-proto': 'https' },
      token: world.developer.token,
    });
    expect(res.status).toBe(200);
    const [{ n }] = await pool.query(sql`SELECT count(*)::int AS n FROM releases WHERE repo_id = ${world.repo.id}`);
    expect(res.body).toHaveLength(Math.min(n, 100));
    const paged = await invoke(listGhReleases, {
      pathParameters: gh,
      query: { per_page: '1', page: '2' },
      path: `/api/v3/repos/${gh.owner}/app/releases`,
      headers: { host: 'gitweave.example:8443', 'x-forwarded-proto': 'https' },
      token: world.developer.token,
    });
    // the request's Host and X-Forwarded-Proto are the client's to choose: none of our URLs is built from them
    const base = `${config().publicUrl}/api/v3/repos/${gh.owner}/app/releases`;
    expect(paged.headers.link).not.toContain('gitweave.example');
    const next = /<([^>]+)>; rel="next"/.exec(paged.headers.link!)![1]!;
    expect(paged.headers.link).toBe(
      `<${base}?per_page=1&page=1>; rel="prev", <${next}>; rel="next", <${base}?per_page=1&page=${n}>; rel="last", <${base}?per_page=1&page=1>; rel="first"`,
    );
    // next resumes after the last release of this page (a keyset position), not at an offset
    expect(next).toMatch(new RegExp(`^${base.replace(/[.?]/g, '\\$&')}\\?per_page=1&page=3&cursor=[\\w-]+$`));
    const third = await invoke(listGhReleases, {
      pathParameters: gh,
      query: Object.fromEntries(new URL(next).searchParams),
      token: world.developer.token,
    });
    const byOffset = await invoke(listGhReleases, {
      pathParameters: gh,
      query: { per_page: '1', page: '3' },
      token: world.developer.token,
    });
    expect(third.body.map((r: { id: number }) => r.id)).toEqual(byOffset.body.map((r: { id: number }) => r.id));
    const forged = await invoke(listGhReleases, {
      pathParameters: gh,
      query: { cursor: 'bm90IGEgY3Vyc29y' },
      token: world.developer.token,
    });
    expect([forged.status, forged.body.errors[0].field]).toEqual([422, 'cursor']);
  });

  it('answers a malformed id with 404, ignores a parameter it does not know and refuses a bad one it reads', async () => {
    const badId = await invoke(getGhRelease, {
      pathParameters: { ...gh, release_id: 'abc' },
      token: world.developer.token,
    });
    expect([badId.status, badId.body.message]).toEqual([404, 'Not Found']);
    // as GitHub does: PyGithub's `reversed` and other clients send parameters of their own
    const unknown = await invoke(listGhReleases, {
      pathParameters: gh,
      query: { perpage: '5', direction: 'asc' },
      token: world.developer.token,
    });
    expect(unknown.status).toBe(200);
    const bad = await invoke(listGhReleases, {
      pathParameters: gh,
      query: { per_page: 'five', other: 'x' },
      token: world.developer.token,
    });
    expect(bad.status).toBe(422);
    expect(bad.body.errors).toEqual([
      { resource: 'Release', field: 'per_page', code: 'invalid', message: expect.any(String) },
    ]);
  });
});

describe('asset uploads', () => {
  async function freshRelease() {
    const release = await releaseIn(pool, world.repo.id, world.releaseManager.id);
    return { ...gh, release_id: String(await githubId('releases', release.id)) };
  }

  it('refuses a text body that arrived altered (invalid UTF-8), rather than store other bytes', async () => {
    const event = apiEvent({
      pathParameters: await freshRelease(),
      query: { name: 'x.txt' },
      token: world.developer.token,
      headers: { 'content-type': 'text/plain' },
    });
    event.body = 'caf\ufffd';
    const result = await uploadAsset(event, lambdaContext());
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(String(result.body)).message).toMatch(/send it as application\/octet-stream/);
  });

  it('adds one of two concurrent uploads of one name; the other is 422', async () => {
    const path = await freshRelease();
    const upload = () =>
      invoke(uploadAsset, {
        pathParameters: path,
        query: { name: 'same.bin' },
        body: Buffer.from('bytes'),
        token: world.developer.token,
      });
    const results = await Promise.all([upload(), upload()]);
    expect(results.map((res) => res.status).sort()).toEqual([201, 422]);
    const [{ n }] = await pool.query(sql`
      SELECT count(*)::int AS n FROM release_artifacts ra JOIN releases r ON r.id = ra.release_id
      WHERE r.github_id = ${Number(path.release_id)}`);
    expect(n).toBe(1);
  });

  it('replays an upload sent again with its Idempotency-Key, adding nothing', async () => {
    const path = await freshRelease();
    const upload = () =>
      invoke(uploadAsset, {
        pathParameters: path,
        query: { name: 'retried.bin' },
        body: Buffer.from('bytes'),
        token: world.developer.token,
        headers: { 'idempotency-key': `upload-${path.release_id}` },
      });
    const first = await upload();
    const again = await upload();
    expect([first.status, again.status, again.headers['idempotent-replayed']]).toEqual([201, 201, 'true']);
    expect(again.body).toEqual(first.body);
  });
});
