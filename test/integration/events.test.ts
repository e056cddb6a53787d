import { randomUUID } from 'node:crypto';
import { sql } from '@databases/pg';
import { describe, expect, it } from 'vitest';
import { handler as cancelDeployment } from '../../functions/cancelDeployment';
import { handler as createDeployment } from '../../functions/createDeployment';
import { handler as createEnvironment } from '../../functions/createEnvironment';
import { handler as createRelease } from '../../functions/createRelease';
import { handler as finishDeployment } from '../../functions/finishDeployment';
import { handler as getDeployment } from '../../functions/getDeployment';
import { handler as getRepoByName } from '../../functions/getRepoByName';
import { handler as orgEvents } from '../../functions/orgEvents';
import { handler as repoEvents } from '../../functions/repoEvents';
import { handler as reviewDeployment } from '../../functions/reviewDeployment';
import { handler as rollbackEnvironment } from '../../functions/rollbackEnvironment';
import { handler as updateEnvironment } from '../../functions/updateEnvironment';
import { createUser } from '../../lib/domain/orgs';
import { environmentsOf } from '../helpers/deployments';
import { invoke } from '../helpers/events';
import { type Member, orgWithMembers } from '../helpers/factories';
import { eventFromRows, feedSettled } from '../helpers/feed';
import { usePool, type World } from '../helpers/world';

// Every change records its event in its own transaction; the feeds read them back, for members only.
const pool = usePool();

// each read first waits out the transactions in flight, so that what the test committed is readable (see feedSettled)
async function feedOf(w: World, query: Record<string, string> = {}, token = w.developer.token) {
  await feedSettled(pool);
  return invoke(repoEvents, { pathParameters: { repo: w.repo.id }, query, token });
}

async function orgFeedOf(org: string, token: string, query: Record<string, string> = {}) {
  await feedSettled(pool);
  return invoke(orgEvents, { pathParameters: { org }, query, token });
}

/** Every event of a feed from its start, following nextCursor (pages of 2, to cross pages). */
async function readAll(read: (query: Record<string, string>) => ReturnType<typeof feedOf>) {
  const events = [];
  let query: Record<string, string> = { limit: '2' };
  for (;;) {
    const page = await read(query);
    expect(page.status).toBe(200);
    events.push(...page.body.items);
    if (page.body.items.length < 2) return events;
    query = { limit: '2', after: page.body.nextCursor };
  }
}

function release(w: World, version: string, token = w.developer.token) {
  return invoke(createRelease, { pathParameters: { repo: w.repo.id }, body: { version }, token });
}

function deploy(w: World, releaseId: string, environmentId: string, body: object = {}, who: Member = w.releaseManager) {
  return invoke(createDeployment, {
    pathParameters: { repo: w.repo.id, id: releaseId },
    body: { environmentId, ...body },
    token: who.token,
  });
}

async function deploymentNow(w: World, id: string) {
  return (await invoke(getDeployment, { pathParameters: { id }, token: w.developer.token })).body;
}

describe('events of a repo', () => {
  it('records every kind of change with its actor, org, repo and the resource as the API returns it', async () => {
    const w = await orgWithMembers(pool);
    const envs = await environmentsOf(pool, w.org.id);
    const made = await release(w, '1.0.0');
    const second = await release(w, '1.1.0');
    const first = await deploy(w, made.body.id, envs.dev!.id);
    const firstNow = await deploymentNow(w, first.body.id);
    const running = await deploy(w, second.body.id, envs.dev!.id, { status: 'in_progress' });
    const runningThen = await deploymentNow(w, running.body.id);
    const finished = await invoke(finishDeployment, {
      method: 'PATCH',
      pathParameters: { id: running.body.id },
      body: { status: 'success' },
      token: w.releaseManager.token,
    });
    expect(finished.status).toBe(200);
    const finishedNow = await deploymentNow(w, running.body.id);
    const back = await invoke(rollbackEnvironment, {
      pathParameters: { repo: w.repo.id, environment: 'dev' },
      body: { reason: 'bad build' },
      token: w.releaseManager.token,
    });
    expect(back.status).toBe(201);
    const backNow = await deploymentNow(w, back.body.id);

    const events = await readAll((query) => feedOf(w, query));
    const repo = { id: w.repo.id, name: 'app' };
    const org = { id: w.org.id, slug: w.org.slug };
    const event = (type: string, actor: Member, actorName: string, resource: unknown) => ({
      id: expect.any(String),
      type,
      occurredAt: expect.stringMatching(/Z$/),
      actor: { id: actor.id, name: actorName },
      org,
      repo,
      resource,
    });
    expect(events).toEqual([
      event('release.created', w.developer, 'dev', made.body),
      event('release.created', w.developer, 'dev', second.body),
      event('deployment.created', w.releaseManager, 'rm', firstNow),
      event('deployment.created', w.releaseManager, 'rm', runningThen),
      event('deployment.status_changed', w.releaseManager, 'rm', finishedNow),
      event('deployment.rolled_back', w.releaseManager, 'rm', backNow),
    ]);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  });

  it('records reviews, the status they decide, and a cancel', async () => {
    const w = await orgWithMembers(pool);
    const envs = await environmentsOf(pool, w.org.id);
    const reviewer = await createUser(pool, 'reviewer', { orgSlug: w.org.slug, role: 'release_manager' });
    const gated = await invoke(updateEnvironment, {
      method: 'PATCH',
      pathParameters: { org: w.org.slug, environment: 'dev' },
      body: { requiredApprovals: 1 },
      token: w.releaseManager.token,
    });
    expect(gated.status).toBe(200);
    const made = await release(w, '2.0.0');
    const approved = await deploy(w, made.body.id, envs.dev!.id);
    const withdrawn = await deploy(w, made.body.id, envs.dev!.id);
    expect([approved.body.status, withdrawn.body.status]).toEqual(['waiting', 'waiting']);
    const review = await invoke(reviewDeployment, {
      pathParameters: { id: approved.body.id },
      body: { decision: 'approve' },
      token: reviewer.token,
    });
    expect(review.status).toBe(201);
    const cancel = await invoke(cancelDeployment, {
      pathParameters: { id: withdrawn.body.id },
      body: { reason: 'wrong build' },
      token: w.releaseManager.token,
    });
    expect(cancel.status).toBe(200);

    const events = await readAll((query) =>
      feedOf(w, { ...query, types: 'deployment.reviewed,deployment.status_changed' }),
    );
    expect(events.map((e) => [e.type, e.resource.id, e.resource.status, e.actor.id])).toEqual([
      ['deployment.reviewed', approved.body.id, 'success', reviewer.id],
      ['deployment.status_changed', approved.body.id, 'success', reviewer.id],
      ['deployment.status_changed', withdrawn.body.id, 'cancelled', w.releaseManager.id],
    ]);
    expect(events[0].resource).toEqual(review.body);
    expect(events[2].resource).toEqual(cancel.body);
  });

  it('records nothing for a change that was refused (its transaction rolled back)', async () => {
    const w = await orgWithMembers(pool);
    expect((await release(w, '1.0.0')).status).toBe(201);
    expect((await release(w, 'v1.0.0')).status).toBe(409);
    const events = await readAll((query) => feedOf(w, query));
    expect(events.map((e) => e.resource.version)).toEqual(['1.0.0']);
  });

  it('resumes after nextCursor with nothing repeated, and gives a resume point on an empty page too', async () => {
    const w = await orgWithMembers(pool);
    await release(w, '1.0.0');
    const first = await feedOf(w);
    expect(first.body.items).toHaveLength(1);
    const empty = await feedOf(w, { after: first.body.nextCursor });
    expect(empty.body).toEqual({ items: [], nextCursor: expect.any(String) });
    await release(w, '1.0.1');
    const next = await feedOf(w, { after: empty.body.nextCursor });
    expect(next.body.items.map((e: { resource: { version: string } }) => e.resource.version)).toEqual(['1.0.1']);
  });

  it('after=now skips what happened and gives the point to follow from', async () => {
    const w = await orgWithMembers(pool);
    await release(w, '1.0.0');
    const now = await feedOf(w, { after: 'now' });
    expect(now.body).toEqual({ items: [], nextCursor: expect.any(String) });
    await release(w, '1.0.1');
    const next = await feedOf(w, { after: now.body.nextCursor });
    expect(next.body.items.map((e: { resource: { version: string } }) => e.resource.version)).toEqual(['1.0.1']);
  });
});

describe('events of an org', () => {
  it('carries its environments (repo null) and its repos, by slug or id', async () => {
    const w = await orgWithMembers(pool);
    const created = await invoke(createEnvironment, {
      pathParameters: { org: w.org.slug },
      body: { name: 'qa' },
      token: w.releaseManager.token,
    });
    const changed = await invoke(updateEnvironment, {
      method: 'PATCH',
      pathParameters: { org: w.org.slug, environment: 'qa' },
      body: { protected: true },
      token: w.releaseManager.token,
    });
    const made = await release(w, '1.0.0');
    const bySlug = await readAll((query) => orgFeedOf(w.org.slug, w.developer.token, query));
    expect(bySlug.map((e) => [e.type, e.repo, e.resource])).toEqual([
      ['environment.created', null, created.body],
      ['environment.updated', null, changed.body],
      ['release.created', { id: w.repo.id, name: 'app' }, made.body],
    ]);
    expect(await readAll((query) => orgFeedOf(w.org.id, w.developer.token, query))).toEqual(bySlug);
    expect(await readAll((query) => orgFeedOf(w.org.id.toUpperCase(), w.developer.token, query))).toEqual(bySlug);
  });
});

describe('who sees which events', () => {
  it('never shows a member the events of an org they are not in, on either feed', async () => {
    const w = await orgWithMembers(pool);
    await release(w, '1.0.0');
    const theirs = await invoke(createRelease, {
      pathParameters: { repo: w.otherRepo.id },
      body: { version: '9.9.9' },
      token: w.outsider.token,
    });
    expect(theirs.status).toBe(201);

    expect((await feedOf(w, {}, w.outsider.token)).status).toBe(404);
    expect((await orgFeedOf(w.org.slug, w.outsider.token)).status).toBe(404);
    const outsiderSees = await readAll((query) => orgFeedOf(w.otherOrg.slug, w.outsider.token, query));
    expect(outsiderSees.map((e) => e.org.id)).toEqual([w.otherOrg.id]);
    const memberSees = await readAll((query) => orgFeedOf(w.org.slug, w.developer.token, query));
    expect(memberSees.map((e) => e.resource.version)).toEqual(['1.0.0']);
    expect((await orgFeedOf(w.otherOrg.slug, w.developer.token)).status).toBe(404);
    // by id, the org is looked up among the token's memberships: the same 404, the same detail
    const byId = await orgFeedOf(w.otherOrg.id, w.developer.token);
    expect([byId.status, byId.body.detail]).toEqual([404, `Org ${w.otherOrg.id} was not found`]);
    expect((await orgFeedOf(w.org.id, w.outsider.token)).status).toBe(404);
  });

  it("refuses a cursor of another repo or org with a 400, never answering with that feed's events", async () => {
    const w = await orgWithMembers(pool);
    await release(w, '1.0.0');
    const theirs = await invoke(repoEvents, { pathParameters: { repo: w.otherRepo.id }, token: w.outsider.token });
    const mine = await feedOf(w);
    const orgCursor = (await orgFeedOf(w.org.slug, w.developer.token)).body.nextCursor;
    for (const after of [theirs.body.nextCursor, orgCursor, 'garbage', 'bm90LWpzb24', randomUUID()]) {
      const res = await feedOf(w, { after });
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(res.body.errors).toEqual([{ path: '/query/after', message: 'is not a cursor this list issued' }]);
    }
    const repoCursorOnOrgFeed = await orgFeedOf(w.org.slug, w.developer.token, { after: mine.body.nextCursor });
    expect(repoCursorOnOrgFeed.status).toBe(400);
  });

  it('refuses unknown types, a wait over 30 s and a bad limit with a 400 naming the parameter', async () => {
    const w = await orgWithMembers(pool);
    for (const [query, path] of [
      [{ types: 'release.created,release.renamed' }, '/query/types'],
      [{ wait: '31' }, '/query/wait'],
      [{ limit: '0' }, '/query/limit'],
    ] as const) {
      const res = await feedOf(w, query);
      expect(res.status).toBe(400);
      expect(res.body.errors[0].path).toBe(path);
    }
  });
});

describe('repos by name', () => {
  it('finds a repo by org slug or id and name, and is a 404 to anyone outside the org', async () => {
    const w = await orgWithMembers(pool);
    const expected = { id: w.repo.id, name: 'app', org: { id: w.org.id, slug: w.org.slug }, role: 'developer' };
    const bySlug = await invoke(getRepoByName, {
      pathParameters: { org: w.org.slug, name: 'app' },
      token: w.developer.token,
    });
    expect([bySlug.status, bySlug.body]).toEqual([200, expected]);
    const byId = await invoke(getRepoByName, {
      pathParameters: { org: w.org.id, name: 'app' },
      token: w.developer.token,
    });
    expect(byId.body).toEqual(expected);
    const outsider = await invoke(getRepoByName, {
      pathParameters: { org: w.org.slug, name: 'app' },
      token: w.outsider.token,
    });
    const missing = await invoke(getRepoByName, {
      pathParameters: { org: w.org.slug, name: 'nope' },
      token: w.developer.token,
    });
    expect([outsider.status, missing.status]).toEqual([404, 404]);
  });
});

describe('the events table', () => {
  it('holds one row per event with the writing transaction id, rendered as the feed renders it', async () => {
    const w = await orgWithMembers(pool);
    await release(w, '1.0.0');
    const rows = await pool.query(sql`SELECT id, txid::text, type FROM events WHERE repo_id = ${w.repo.id}`);
    expect(rows).toEqual([{ id: expect.any(String), txid: expect.stringMatching(/^\d+$/), type: 'release.created' }]);
    const [read] = (await feedOf(w)).body.items;
    expect(await eventFromRows(pool, rows[0]!.id)).toEqual(read);
  });

  it("writes an org's environment and repo events in its feed exactly as a webhook delivery renders them", async () => {
    const w = await orgWithMembers(pool);
    await invoke(createEnvironment, {
      pathParameters: { org: w.org.slug },
      body: { name: 'qa' },
      token: w.releaseManager.token,
    });
    await release(w, '1.0.0');
    const page = await orgFeedOf(w.org.slug, w.developer.token);
    expect(page.headers['content-type']).toBe('application/json; charset=utf-8');
    const read = page.body.items as Array<{ id: string; type: string; repo: unknown }>;
    expect(read.map((e) => [e.type, e.repo === null])).toEqual([
      ['environment.created', true],
      ['release.created', false],
    ]);
    for (const event of read) expect(event).toEqual(await eventFromRows(pool, event.id));
  });
});
