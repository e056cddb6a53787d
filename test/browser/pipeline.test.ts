import fs from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createUser } from '../../lib/domain/orgs';
import { sql } from '../../lib/infra/db';
import { api } from '../helpers/api';
import { orgWithMembers, testPool } from '../helpers/factories';

// Environments as a pipeline on the dashboard, in Chromium against the API the test run serves: each
// environment's rules, the deployments waiting for approval with Approve, Reject and Cancel for those allowed, a
// rollback that asks for its reason, an environment's history a page at a time, and the delivery metrics as charts.
const CHROMIUM = '/usr/bin/chromium';
const DAY = 86_400_000;

const pool = testPool();
let world: Awaited<ReturnType<typeof orgWithMembers>>;
let ada: Awaited<ReturnType<typeof createUser>>;
let browser: Browser;
let environments: Record<string, { id: string }> = {};
const releases: Record<string, { id: string }> = {};
const pageUrl = () => inject('apiUrl').replace(/api\/v1$/, '');
const daysAgo = (days: number) => new Date(Date.now() - days * DAY).toISOString();

async function release(version: string, createdDaysAgo: number) {
  const res = await api('POST', `/repos/${world.repo.id}/releases`, {
    token: world.releaseManager.token,
    json: { version },
  });
  expect(res.status).toBe(201);
  releases[version] = res.body;
  await pool.query(
    sql`UPDATE releases SET created_at = now() - ${createdDaysAgo} * interval '1 day' WHERE id = ${res.body.id}`,
  );
}

async function deploy(version: string, environment: string, options: { days?: number; status?: string } = {}) {
  const times =
    options.days === undefined ? {} : { startedAt: daysAgo(options.days + 0.01), endedAt: daysAgo(options.days) };
  const res = await api('POST', `/repos/${world.repo.id}/releases/${releases[version]!.id}/deployments`, {
    token: world.releaseManager.token,
    json: {
      environmentId: environments[environment]!.id,
      ...times,
      ...(options.status ? { status: options.status } : {}),
    },
  });
  expect(res.status).toBe(201);
  return res.body as { id: string; status: string };
}

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is not installed, so the dashboard cannot be tested: apt-get install -y chromium`);
  }
  world = await orgWithMembers(pool);
  ada = await createUser(pool, 'ada', { orgSlug: world.org.slug, role: 'release_manager' });
  const envs = await api('GET', `/repos/${world.repo.id}/environments`, { token: world.releaseManager.token });
  environments = Object.fromEntries(envs.body.items.map((e: { name: string; id: string }) => [e.name, e]));
  // twelve deployments to prod over six weeks (prod requires stg, so each release succeeds in stg first)
  const plan: Array<[string, number, Array<[number, string]>]> = [
    ['1.0.0', 40, [[38, 'success']]],
    [
      '1.1.0',
      30,
      [
        [29, 'failed'],
        [28.9, 'success'],
      ],
    ],
    [
      '1.2.0',
      20,
      [
        [19, 'success'],
        [18, 'success'],
      ],
    ],
    [
      '1.3.0',
      10,
      [
        [9, 'failed'],
        [8.9, 'success'],
        [8, 'success'],
      ],
    ],
    [
      '1.4.0',
      5,
      [
        [4, 'success'],
        [3, 'failed'],
        [2.9, 'success'],
        [2, 'success'],
      ],
    ],
  ];
  for (const [version, created, prod] of plan) {
    await release(version, created);
    await deploy(version, 'stg', { days: created - 0.5 });
    for (const [days, status] of prod) await deploy(version, 'prod', { days, status });
  }
  for (const version of ['2.0.0', '2.1.0', '2.2.0']) {
    await release(version, 0);
    await deploy(version, 'stg');
  }
  const gated = await api('PATCH', `/orgs/${world.org.slug}/environments/prod`, {
    token: world.releaseManager.token,
    json: { requiredApprovals: 1 },
  });
  expect(gated.status).toBe(200);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
});
afterAll(async () => {
  await browser?.close();
  await pool.dispose();
});

async function signedIn(token: string): Promise<{ page: Page; errors: string[]; close: () => Promise<void> }> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(pageUrl());
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await environment(page, 'prod').waitFor();
  return { page, errors, close: () => context.close() };
}

const environment = (page: Page, name: string) => page.getByRole('region', { name: `Environment ${name}` });
const waitingItem = (page: Page, what: string) => page.getByRole('listitem', { name: `Waiting: ${what}` });
const deployment = async (id: string) =>
  (await api('GET', `/deployments/${id}`, { token: world.developer.token })).body;
const prodNow = async () =>
  (await api('GET', `/repos/${world.repo.id}/environments`, { token: world.developer.token })).body.items.find(
    (e: { name: string }) => e.name === 'prod',
  ).current;

describe('environments as a pipeline on the dashboard, in Chromium', () => {
  it('shows the environments in pipeline order with what each requires', async () => {
    const { page, errors, close } = await signedIn(world.developer.token);
    const names = await page
      .locator('#environments [data-environment]')
      .evaluateAll((cards) => cards.map((c) => c.getAttribute('data-environment')));
    expect(names).toEqual(['dev', 'stg', 'prod']);
    expect(await environment(page, 'dev').locator('.rules').innerText()).toBe('no rules');
    expect(await environment(page, 'prod').locator('.rules').innerText()).toBe('requires stg · 1 approval');
    // a developer may not roll back a protected environment, and is told why
    const rollback = environment(page, 'prod').getByRole('button', { name: 'Roll back…' });
    expect(await rollback.isDisabled()).toBe(true);
    expect(await environment(page, 'prod').locator('.reason').innerText()).toBe(
      `prod is protected: rolling back there needs the release_manager role, and you are a developer in ${world.org.slug}.`,
    );
    expect(errors).toEqual([]);
    await close();
  });

  it('lets a release manager who did not ask approve and reject, the requester cancel, and tells the others why not', async () => {
    const approveMe = await deploy('2.0.0', 'prod');
    const rejectMe = await deploy('2.1.0', 'prod');
    const cancelMe = await deploy('2.2.0', 'prod');
    expect([approveMe.status, rejectMe.status, cancelMe.status]).toEqual(['waiting', 'waiting', 'waiting']);

    // a developer sees them waiting, with the buttons disabled and the reason
    const developer = await signedIn(world.developer.token);
    const seen = waitingItem(developer.page, '2.0.0 → prod');
    await seen.waitFor();
    expect(await seen.innerText()).toMatch(/asked by rm .* · 0 of 1 approvals/);
    expect(await seen.getByRole('button', { name: 'Approve' }).isDisabled()).toBe(true);
    expect(await seen.getByRole('button', { name: 'Reject' }).isDisabled()).toBe(true);
    expect(await seen.getByRole('button', { name: 'Cancel' }).count()).toBe(0);
    expect(await seen.locator('.reason').innerText()).toBe(
      `Reviewing needs the release_manager role, and you are a developer in ${world.org.slug}.`,
    );
    expect(developer.errors).toEqual([]);
    await developer.close();

    // the requester may not review its own deployment, but may cancel it
    const requester = await signedIn(world.releaseManager.token);
    const own = waitingItem(requester.page, '2.2.0 → prod');
    await own.waitFor();
    expect(await own.getByRole('button', { name: 'Approve' }).isDisabled()).toBe(true);
    expect(await own.locator('.reason').innerText()).toBe(
      'You asked for this deployment: another release manager must review it.',
    );
    await own.getByRole('button', { name: 'Cancel' }).click();
    await requester.page.getByRole('status').filter({ hasText: 'Cancelled 2.2.0 → prod.' }).waitFor();
    await own.waitFor({ state: 'detached' });
    expect((await deployment(cancelMe.id)).status).toBe('cancelled');
    expect(requester.errors).toEqual([]);
    await requester.close();

    // another release manager approves one and rejects the other, with a comment
    const reviewer = await signedIn(ada.token);
    const toApprove = waitingItem(reviewer.page, '2.0.0 → prod');
    await toApprove.getByRole('button', { name: 'Approve' }).click();
    await reviewer.page.getByRole('status').filter({ hasText: 'Approved 2.0.0 → prod: now success.' }).waitFor();
    await toApprove.waitFor({ state: 'detached' });
    await environment(reviewer.page, 'prod').getByText('2.0.0').waitFor();
    expect(await deployment(approveMe.id)).toMatchObject({
      status: 'success',
      reviews: [{ reviewer: { id: ada.id, name: 'ada' }, decision: 'approve', comment: null }],
    });
    expect(await prodNow()).toMatchObject({ deploymentId: approveMe.id, version: '2.0.0' });

    const toReject = waitingItem(reviewer.page, '2.1.0 → prod');
    await toReject.getByLabel('Comment on 2.1.0 → prod').fill('not on a Friday');
    await toReject.getByRole('button', { name: 'Reject' }).click();
    await reviewer.page.getByRole('status').filter({ hasText: 'Rejected 2.1.0 → prod.' }).waitFor();
    await reviewer.page.getByText('Nothing waits for approval.').waitFor();
    expect(await deployment(rejectMe.id)).toMatchObject({
      status: 'rejected',
      reviews: [{ reviewer: { id: ada.id }, decision: 'reject', comment: 'not on a Friday' }],
    });
    expect(reviewer.errors).toEqual([]);
    await reviewer.close();
  });

  it('rolls an environment back with the reason asked in a dialog, and pages through its history newest first', async () => {
    const { page, errors, close } = await signedIn(world.releaseManager.token);
    const before = await prodNow();
    await environment(page, 'prod').getByRole('button', { name: 'Roll back…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Roll back prod' });
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain(`prod runs ${before.version}.`);
    await dialog.getByLabel('Reason').fill('checkout broken');
    await dialog.getByRole('button', { name: 'Roll back' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const said = await page
      .getByRole('status')
      .filter({ hasText: /^Rolled prod back to / })
      .innerText();

    // recorded by the API: a rollback of what ran, with the reason, and it is what runs now
    const rollbacks = await api('GET', `/repos/${world.repo.id}/environments/prod/deployments?kind=rollback`, {
      token: world.developer.token,
    });
    const [rollback] = rollbacks.body.items;
    expect(rollback).toMatchObject({
      kind: 'rollback',
      status: 'success',
      rollbackOf: before.deploymentId,
      reason: 'checkout broken',
      deployedBy: { id: world.releaseManager.id, name: 'rm' },
    });
    expect(said).toBe(`Rolled prod back to ${rollback.version}.`);
    expect(rollback.version).not.toBe(before.version);
    expect(await prodNow()).toMatchObject({ deploymentId: rollback.id, version: rollback.version });
    await environment(page, 'prod').locator('.current').getByText(rollback.version).waitFor();

    // the history: newest first, ten at a time, as the API pages it
    await environment(page, 'prod').getByRole('button', { name: 'History' }).click();
    const history = page.getByRole('table', { name: 'History of prod' });
    const ids = () =>
      history.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-deployment')));
    await history.locator('tbody tr').first().waitFor();
    const first = await api('GET', `/repos/${world.repo.id}/environments/prod/deployments?limit=10`, {
      token: world.developer.token,
    });
    expect(await ids()).toEqual(first.body.items.map((d: { id: string }) => d.id));
    expect(await history.locator('tbody tr').first().innerText()).toMatch(
      new RegExp(
        `^just now\\t${rollback.version.replace(/\./g, '\\.')}\\t✓ success\\trollback\\trm\\tcheckout broken$`,
      ),
    );
    await page.getByRole('button', { name: 'Older deployments' }).click();
    const second = await api(
      'GET',
      `/repos/${world.repo.id}/environments/prod/deployments?limit=10&cursor=${first.body.nextCursor}`,
      { token: world.developer.token },
    );
    await history.locator('tbody tr').nth(10).waitFor();
    expect(await ids()).toEqual([...first.body.items, ...second.body.items].map((d: { id: string }) => d.id));
    expect(await page.getByRole('button', { name: 'Older deployments' }).isHidden()).toBe(
      second.body.nextCursor === null,
    );
    expect(errors).toEqual([]);
    await close();
  });

  it("draws prod's delivery metrics as charts of the API's numbers, with the numbers as text", async () => {
    const { page, errors, close } = await signedIn(world.developer.token);
    const panel = page.locator('#metrics');
    const body = panel.locator('.metrics-body');
    await body.getByRole('img', { name: 'Deployments to prod per week, by outcome' }).waitFor();
    expect(await panel.getByLabel('Environment').inputValue()).toBe('prod');

    const check = async () => {
      const [from, to] = await Promise.all([body.getAttribute('data-from'), body.getAttribute('data-to')]);
      const query = new URLSearchParams({ environment: 'prod', from: from!, to: to!, bucket: 'week' });
      const m = (await api('GET', `/repos/${world.repo.id}/metrics?${query}`, { token: world.developer.token })).body;
      expect(m.buckets.some((b: { deployments: number }) => b.deployments > 0)).toBe(true);
      // each week's bar: its total and its segments by outcome
      const bars = await body.locator('svg g.bar').evaluateAll((gs) =>
        gs.map((g) => ({
          total: Number(g.getAttribute('data-total')),
          segments: Object.fromEntries(
            [...g.querySelectorAll('rect')].map((r) => [
              r.getAttribute('data-series'),
              Number(r.getAttribute('data-value')),
            ]),
          ),
        })),
      );
      expect(bars).toEqual(
        m.buckets.map((b: { deployments: number; successes: number; failures: number; rollbacks: number }) => ({
          total: b.deployments,
          segments: Object.fromEntries(
            (
              [
                ['succeeded', b.successes - b.rollbacks],
                ['rollbacks', b.rollbacks],
                ['failed', b.failures],
                ['inProgress', b.deployments - b.successes - b.failures],
              ] as const
            ).filter(([, n]) => n > 0),
          ),
        })),
      );
      // and the same numbers as a table
      const table = await body
        .locator('table.numbers tbody tr')
        .evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => c.textContent)));
      expect(table).toEqual(
        m.buckets.map(
          (b: { start: string; deployments: number; successes: number; failures: number; rollbacks: number }) =>
            [
              b.start.slice(0, 10),
              b.deployments,
              b.successes - b.rollbacks,
              b.rollbacks,
              b.failures,
              b.deployments - b.successes - b.failures,
            ].map(String),
        ),
      );
      const rate = `${(m.changeFailureRate * 100).toFixed(1)}%`;
      expect(await body.locator('[data-figure="change-failure-rate"]').innerText()).toBe(
        `${rate} of finished deployments (not rollbacks) failed or were rolled back.`,
      );
      const meter = body.getByRole('img', { name: 'Change failure rate in prod' });
      expect(Number(await meter.locator('rect.fill-bad').getAttribute('data-value'))).toBe(m.changeFailureRate);
      expect(await meter.locator('text.figure').textContent()).toBe(rate);
      const lead = body.getByRole('img', { name: 'Lead time to prod' });
      expect(
        await lead.locator('rect').evaluateAll((rects) => rects.map((r) => Number(r.getAttribute('data-value')))),
      ).toEqual([m.leadTime.medianSeconds, m.leadTime.p90Seconds]);
      expect(await lead.locator('desc').textContent()).toContain(`over ${m.leadTime.count}`);
      const restore = body.getByRole('img', { name: 'Time to restore prod' });
      expect(
        await restore.locator('rect').evaluateAll((rects) => rects.map((r) => Number(r.getAttribute('data-value')))),
      ).toEqual(m.timeToRestore.count ? [m.timeToRestore.medianSeconds, m.timeToRestore.p90Seconds] : []);
      return m;
    };
    const thirteenWeeks = await check();
    expect(thirteenWeeks.buckets.length).toBeGreaterThanOrEqual(13);
    expect(thirteenWeeks.changeFailureRate).toBeGreaterThan(0);

    await panel.getByLabel('Window').selectOption({ label: 'last 4 weeks' });
    // the panel is drawn anew: wait for the new window's bars (the old ones are gone at once)
    await page.waitForFunction(() => {
      const bars = (globalThis as any).document.querySelectorAll('#metrics .metrics-body[data-from] svg g.bar').length;
      return bars > 0 && bars <= 5;
    });
    const fourWeeks = await check();
    expect(fourWeeks.buckets.length).toBeLessThanOrEqual(5);

    if (process.env.DASHBOARD_SCREENSHOT) {
      await panel.getByLabel('Window').selectOption({ label: 'last 13 weeks' });
      await page.waitForFunction(
        () => (globalThis as any).document.querySelectorAll('#metrics svg g.bar').length >= 13,
      );
      // one deployment waiting, for the picture (withdrawn after it)
      const waiting = await deploy('1.3.0', 'prod');
      await page.reload();
      await waitingItem(page, '1.3.0 → prod').waitFor();
      await page.waitForFunction(
        () => (globalThis as any).document.querySelectorAll('#metrics svg g.bar').length >= 13,
      );
      await page.locator('#releases-body tr[data-version="1.4.0"]').getByRole('button', { name: '1.4.0' }).click();
      await page.locator('#details').getByRole('heading', { name: 'Release 1.4.0' }).waitFor();
      fs.mkdirSync('docs', { recursive: true });
      await page.screenshot({ path: 'docs/dashboard.png', fullPage: true });
      const withdrawn = await api('POST', `/deployments/${waiting.id}/cancel`, {
        token: world.releaseManager.token,
        json: {},
      });
      expect(withdrawn.status).toBe(200);
    }
    expect(errors).toEqual([]);
    await close();
  });
});
