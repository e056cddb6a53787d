import { describe, expect, it } from 'vitest';
import { handler as cancelDeployment } from '../../functions/cancelDeployment';
import { handler as createDeployment } from '../../functions/createDeployment';
import { handler as finishDeployment } from '../../functions/finishDeployment';
import { handler as getDeployment } from '../../functions/getDeployment';
import { handler as repoEnvironments } from '../../functions/repoEnvironments';
import { handler as reviewDeployment } from '../../functions/reviewDeployment';
import { handler as updateEnvironment } from '../../functions/updateEnvironment';
import { createUser } from '../../lib/domain/orgs';
import { sql } from '../../lib/infra/db';
import { environmentsOf, releaseIn } from '../helpers/deployments';
import { invoke } from '../helpers/events';
import { type Member, orgWithMembers } from '../helpers/factories';
import { usePool, type World } from '../helpers/world';

// A deployment to an environment with requiredApprovals waits for release managers other than its
// requester; one reject ends it; its requester may cancel it; races end in exactly one outcome.
const pool = usePool();
const iso = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

/** An org whose dev environment needs `approvals`, with two more release managers to review. */
async function gatedOrg(approvals: number) {
  const w = await orgWithMembers(pool);
  const set = await invoke(updateEnvironment, {
    method: 'PATCH',
    pathParameters: { org: w.org.slug, environment: 'dev' },
    body: { requiredApprovals: approvals },
    token: w.releaseManager.token,
  });
  expect(set.status).toBe(200);
  const ada = await createUser(pool, 'ada', { orgSlug: w.org.slug, role: 'release_manager' });
  const bob = await createUser(pool, 'bob', { orgSlug: w.org.slug, role: 'release_manager' });
  const dev = (await environmentsOf(pool, w.org.id)).dev!;
  const release = await releaseIn(pool, w.repo.id, w.developer.id, '1.0.0');
  return { w, ada, bob, dev, release };
}

function request(w: World, release: string, environmentId: string, token: string, body: Record<string, unknown> = {}) {
  return invoke(createDeployment, {
    pathParameters: { repo: w.repo.id, id: release },
    body: { environmentId, ...body },
    token,
  });
}

function review(id: string, reviewer: Member, decision: 'approve' | 'reject', comment?: string) {
  return invoke(reviewDeployment, {
    path: `/api/v1/deployments/${id}/reviews`,
    pathParameters: { id },
    body: { decision, ...(comment !== undefined ? { comment } : {}) },
    token: reviewer.token,
  });
}

function cancel(id: string, who: Member, body: Record<string, unknown> = {}) {
  return invoke(cancelDeployment, { pathParameters: { id }, body, token: who.token });
}

async function statusOf(id: string): Promise<string> {
  const [row] = await pool.query(sql`SELECT status FROM deployments WHERE id = ${id}`);
  return row!.status;
}

describe('a deployment to an environment that needs approvals', () => {
  it('starts as waiting, runs nowhere, and shows what it needs', async () => {
    const { w, dev, release } = await gatedOrg(2);
    const res = await request(w, release.id, dev.id, w.developer.token);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      status: 'waiting',
      kind: 'deploy',
      requiredApprovals: 2,
      startedAt: iso,
      endedAt: null,
      deployedBy: { id: w.developer.id, name: 'dev' },
    });
    const where = await invoke(repoEnvironments, { pathParameters: { repo: w.repo.id }, token: w.developer.token });
    expect(where.body.items.find((e: { name: string }) => e.name === 'dev').current).toBeNull();
    const got = await invoke(getDeployment, { pathParameters: { id: res.body.id }, token: w.developer.token });
    expect(got.body).toEqual({ ...res.body, reviews: [] });
  });

  it('moves on to success when the approvals reach the count, started then, with the reviews listed', async () => {
    const { w, ada, bob, dev, release } = await gatedOrg(2);
    const asked = await request(w, release.id, dev.id, w.developer.token);
    const first = await review(asked.body.id, ada, 'approve', 'looks good');
    expect(first.status).toBe(201);
    expect(first.headers.location).toBe(`/api/v1/deployments/${asked.body.id}`);
    expect(first.body).toMatchObject({ status: 'waiting', endedAt: null });
    const second = await review(asked.body.id, bob, 'approve');
    expect(second.status).toBe(201);
    expect(second.body).toEqual({
      ...asked.body,
      status: 'success',
      startedAt: iso,
      endedAt: second.body.startedAt,
      reviews: [
        {
          id: expect.any(String),
          reviewer: { id: ada.id, name: 'ada' },
          decision: 'approve',
          comment: 'looks good',
          createdAt: iso,
        },
        {
          id: expect.any(String),
          reviewer: { id: bob.id, name: 'bob' },
          decision: 'approve',
          comment: null,
          createdAt: iso,
        },
      ],
    });
    expect(Date.parse(second.body.startedAt)).toBeGreaterThanOrEqual(Date.parse(second.body.reviews[1].createdAt));
    const where = await invoke(repoEnvironments, { pathParameters: { repo: w.repo.id }, token: w.developer.token });
    expect(where.body.items.find((e: { name: string }) => e.name === 'dev').current.deploymentId).toBe(asked.body.id);
  });

  it('needs the count its environment had when it was asked for: changing the environment later moves nothing', async () => {
    const setApprovals = (w: World, approvals: number) =>
      invoke(updateEnvironment, {
        method: 'PATCH',
        pathParameters: { org: w.org.slug, environment: 'dev' },
        body: { requiredApprovals: approvals },
        token: w.releaseManager.token,
      });
    // lowered from 2 to 1 while it waits: one approval is not enough
    const lowered = await gatedOrg(2);
    const waiting = await request(lowered.w, lowered.release.id, lowered.dev.id, lowered.w.developer.token);
    expect((await setApprovals(lowered.w, 1)).status).toBe(200);
    expect((await review(waiting.body.id, lowered.ada, 'approve')).body).toMatchObject({
      status: 'waiting',
      requiredApprovals: 2,
    });
    expect((await review(waiting.body.id, lowered.bob, 'approve')).body.status).toBe('success');
    // raised from 1 to 3 while it waits: one approval is enough
    const raised = await gatedOrg(1);
    const asked = await request(raised.w, raised.release.id, raised.dev.id, raised.w.developer.token);
    expect((await setApprovals(raised.w, 3)).status).toBe(200);
    expect((await review(asked.body.id, raised.ada, 'approve')).body).toMatchObject({
      status: 'success',
      requiredApprovals: 1,
    });
  });

  it('moves on to in_progress when that was asked for, to be finished by the pipeline later', async () => {
    const { w, ada, dev, release } = await gatedOrg(1);
    const asked = await request(w, release.id, dev.id, w.developer.token, { status: 'in_progress' });
    expect((await review(asked.body.id, ada, 'approve')).body).toMatchObject({ status: 'in_progress', endedAt: null });
    const finished = await invoke(finishDeployment, {
      method: 'PATCH',
      pathParameters: { id: asked.body.id },
      body: { status: 'success' },
      token: w.developer.token,
    });
    expect(finished.body.status).toBe('success');
  });

  it('ends as rejected on one reject, with the comment kept; later reviews are 409', async () => {
    const { w, ada, bob, dev, release } = await gatedOrg(2);
    const asked = await request(w, release.id, dev.id, w.developer.token);
    const rejected = await review(asked.body.id, ada, 'reject', 'not on a Friday');
    expect(rejected.body).toMatchObject({
      status: 'rejected',
      endedAt: iso,
      reviews: [expect.objectContaining({ decision: 'reject', comment: 'not on a Friday' })],
    });
    const late = await review(asked.body.id, bob, 'approve');
    expect(late.status).toBe(409);
    expect(late.body.detail).toBe('The deployment is rejected; only a waiting deployment can be reviewed.');
  });

  it('refuses a developer (403), the requester (403) and a second review by one reviewer (409), each saying why', async () => {
    const { w, ada, dev, release } = await gatedOrg(2);
    const asked = await request(w, release.id, dev.id, w.releaseManager.token);
    const developer = await review(asked.body.id, w.developer, 'approve');
    expect(developer.status).toBe(403);
    expect(developer.body.detail).toBe(
      'Reviewing deployments needs the release_manager role; you are a developer in this org.',
    );
    const own = await review(asked.body.id, w.releaseManager, 'approve');
    expect(own.status).toBe(403);
    expect(own.body.detail).toBe(
      'You asked for this deployment, so you cannot review it: another release manager of the org must.',
    );
    expect((await review(asked.body.id, ada, 'approve')).status).toBe(201);
    const again = await review(asked.body.id, ada, 'approve');
    expect(again.status).toBe(409);
    expect(again.body.detail).toMatch(
      /^You already reviewed this deployment \(approve, .*Z\); each reviewer reviews once\.$/,
    );
    expect(await statusOf(asked.body.id)).toBe('waiting');
    expect((await review(asked.body.id, w.outsider, 'approve')).status).toBe(404);
  });

  it('refuses a review of a deployment that never waited', async () => {
    const w = await orgWithMembers(pool);
    const ada = await createUser(pool, 'ada', { orgSlug: w.org.slug, role: 'release_manager' });
    const release = await releaseIn(pool, w.repo.id, w.developer.id);
    const done = await request(w, release.id, (await environmentsOf(pool, w.org.id)).dev!.id, w.developer.token);
    expect(done.body.status).toBe('success');
    expect((await review(done.body.id, ada, 'approve')).status).toBe(409);
  });

  it('refuses startedAt and endedAt, which are set at approval, with a 422', async () => {
    const { w, dev, release } = await gatedOrg(1);
    const res = await request(w, release.id, dev.id, w.developer.token, { startedAt: '2026-01-01T00:00:00Z' });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ path: '/body/startedAt', message: 'is set at approval' }]);
  });
});

describe('cancelling a waiting deployment', () => {
  it('lets its requester cancel it, with a reason; then nobody may review it', async () => {
    const { w, ada, dev, release } = await gatedOrg(1);
    const asked = await request(w, release.id, dev.id, w.developer.token);
    const res = await cancel(asked.body.id, w.developer, { reason: 'wrong build' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...asked.body, status: 'cancelled', reason: 'wrong build', endedAt: iso, reviews: [] });
    expect((await review(asked.body.id, ada, 'approve')).status).toBe(409);
    const twice = await cancel(asked.body.id, w.developer);
    expect(twice.status).toBe(409);
    expect(twice.body.detail).toBe('The deployment is cancelled; only a waiting deployment can be cancelled.');
  });

  it('refuses anyone else with a 403 naming the requester, and a deployment no longer waiting with a 409', async () => {
    const { w, ada, dev, release } = await gatedOrg(1);
    const asked = await request(w, release.id, dev.id, w.developer.token);
    const other = await cancel(asked.body.id, ada);
    expect(other.status).toBe(403);
    expect(other.body.detail).toBe('Only the one who asked for a deployment (dev) may cancel it.');
    expect((await review(asked.body.id, ada, 'approve')).body.status).toBe('success');
    expect((await cancel(asked.body.id, w.developer)).status).toBe(409);
  });
});

describe('races', () => {
  it('two approvals at once when one is needed: one is recorded and moves it on to success, the other is 409', async () => {
    for (let round = 0; round < 5; round += 1) {
      const { w, ada, bob, dev, release } = await gatedOrg(1);
      const asked = await request(w, release.id, dev.id, w.developer.token);
      const answers = await Promise.all([review(asked.body.id, ada, 'approve'), review(asked.body.id, bob, 'approve')]);
      // the first locks the row and moves it on; the second then finds it no longer waiting
      expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
      expect(await statusOf(asked.body.id)).toBe('success');
      const [{ n }] = await pool.query(
        sql`SELECT count(*)::int AS n FROM deployment_reviews WHERE deployment_id = ${asked.body.id}`,
      );
      expect(n).toBe(1);
    }
  });

  it('an approve and a reject at once: exactly one decides, and the status is what it decided', async () => {
    for (let round = 0; round < 5; round += 1) {
      const { w, ada, bob, dev, release } = await gatedOrg(1);
      const asked = await request(w, release.id, dev.id, w.developer.token);
      const [yes, no] = await Promise.all([
        review(asked.body.id, ada, 'approve'),
        review(asked.body.id, bob, 'reject'),
      ]);
      expect([yes.status, no.status].sort()).toEqual([201, 409]);
      expect(await statusOf(asked.body.id)).toBe(yes.status === 201 ? 'success' : 'rejected');
    }
  });

  it('a review racing a cancel: exactly one of them wins, and the status is what the winner decided', async () => {
    for (let round = 0; round < 5; round += 1) {
      const { w, ada, dev, release } = await gatedOrg(1);
      const asked = await request(w, release.id, dev.id, w.developer.token);
      const [approved, cancelled] = await Promise.all([
        review(asked.body.id, ada, 'approve'),
        cancel(asked.body.id, w.developer),
      ]);
      expect([approved.status, cancelled.status].sort()).toEqual(approved.status === 201 ? [201, 409] : [200, 409]);
      expect(await statusOf(asked.body.id)).toBe(approved.status === 201 ? 'success' : 'cancelled');
    }
  });
});
