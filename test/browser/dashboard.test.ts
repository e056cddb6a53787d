import fs from 'node:fs';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { addMember, createRepo, createUser } from '../../lib/domain/orgs';
import { sql } from '../../lib/infra/db';
import { api } from '../helpers/api';
import { orgWithMembers, testPool, writeBuildFile } from '../helpers/factories';

// The release dashboard in a real browser (Debian's Chromium, driven by playwright-core) against the API that the
// test run serves with serverless-offline: sign in, see what runs where, deploy, and hostile release notes.
const CHROMIUM = '/usr/bin/chromium';

const pool = testPool();
let world: Awaited<ReturnType<typeof orgWithMembers>>;
let browser: Browser;
const pageUrl = () => inject('apiUrl').replace(/api\/v1$/, '');
const releases: Record<string, { id: string }> = {};
let environments: Record<string, { id: string }> = {};

/** What a script in the notes would do if it ever ran. */
const HOSTILE_NOTES = [
  '## Safe heading',
  'Some **bold** text.',
  '<script>window.__pwned = "script"</script>',
  '<img src="x" onerror="window.__pwned = \'img\'">',
  "[a link](javascript:window.__pwned='link')",
  '<a href="javascript:window.__pwned=\'anchor\'">another link</a>',
  '<iframe src="javascript:parent.__pwned=\'iframe\'"></iframe>',
].join('\n\n');

const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString();

async function release(version: string, notes: string, artifactIds: string[] = []) {
  const res = await api('POST', `/repos/${world.repo.id}/releases`, {
    token: world.releaseManager.token,
    json: { version, notes, artifactIds },
  });
  expect(res.status).toBe(201);
  releases[version] = res.body;
}

async function deployed(version: string, environment: string, hours: number) {
  const res = await api('POST', `/repos/${world.repo.id}/releases/${releases[version]!.id}/deployments`, {
    token: world.releaseManager.token,
    json: { environmentId: environments[environment]!.id, startedAt: hoursAgo(hours + 0.1), endedAt: hoursAgo(hours) },
  });
  expect(res.status).toBe(201);
}

beforeAll(async () => {
  // nothing is skipped to go green: without the browser every test of this file fails, saying how to get it
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is not installed, so the dashboard cannot be tested: apt-get install -y chromium`);
  }
  world = await orgWithMembers(pool);
  const envs = await api('GET', `/repos/${world.repo.id}/environments`, { token: world.releaseManager.token });
  environments = Object.fromEntries(envs.body.items.map((e: { name: string; id: string }) => [e.name, e]));
  const file = writeBuildFile(world.repo.id, 'browser/app-1.2.0.tgz', 'the 1.2.0 build\n'.repeat(4096));
  const artifact = await api('POST', `/repos/${world.repo.id}/artifacts`, {
    token: world.releaseManager.token,
    json: { name: 'app-1.2.0.tgz', path: file },
  });
  await release('1.0.0', '# 1.0.0\n\nThe first release.');
  await release('1.1.0', '# 1.1.0\n\n- faster start\n- smaller image');
  await release(
    '1.2.0',
    '# 1.2.0\n\n- **new:** deploy from the dashboard\n- fixed: retries on `503`\n\nSee `CHANGES.md`.',
    [artifact.body.id],
  );
  await release('1.2.1-rc.1', HOSTILE_NOTES);
  // the page's Deploy button is under test here, not the promotion rule (prod requires stg): this org drops it
  const open = await api('PATCH', `/orgs/${world.org.slug}/environments/prod`, {
    token: world.releaseManager.token,
    json: { requires: [] },
  });
  expect(open.status).toBe(200);
  await deployed('1.0.0', 'stg', 96);
  await deployed('1.0.0', 'prod', 72);
  await deployed('1.1.0', 'stg', 26);
  await deployed('1.1.0', 'dev', 30);
  await deployed('1.2.0', 'dev', 2);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
  await pool.dispose();
});

/** A fresh browser session (its own sessionStorage) that records uncaught page errors. */
async function session(): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 860 } });
  // a wait that fails names what it waited for, well before the test's own timeout
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  return { context, page, errors };
}

async function signIn(page: Page, token: string) {
  await page.goto(pageUrl());
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

const environment = (page: Page, name: string) => page.getByRole('region', { name: `Environment ${name}` });
const row = (page: Page, version: string) => page.locator(`#releases-body tr[data-version="${version}"]`);
const versions = (page: Page) =>
  page.locator('#releases-body tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-version')));

describe('the release dashboard in Chromium', () => {
  it('signs in with a token kept for the tab only, and shows what runs where and the releases newest first', async () => {
    const { context, page, errors } = await session();
    await page.goto(pageUrl());
    expect(await page.title()).toBe('GitWeave Releases');
    await signIn(page, world.releaseManager.token);

    await environment(page, 'prod').getByText('1.0.0').waitFor();
    expect(await environment(page, 'prod').innerText()).toMatch(
      /protected[\s\S]*1\.0\.0[\s\S]*success[\s\S]*deployed 3 days ago[\s\S]*by rm/,
    );
    await environment(page, 'stg').getByText('1.1.0').waitFor();
    await environment(page, 'dev').getByText('1.2.0').waitFor();
    expect(await page.getByLabel('Organisation').inputValue()).toBe(world.org.id);
    expect(await page.getByLabel('Repository').inputValue()).toBe(world.repo.id);
    expect(await versions(page)).toEqual(['1.2.1-rc.1', '1.2.0', '1.1.0', '1.0.0']);
    // each release's deployments per environment, as its detail view tells them
    await row(page, '1.1.0').locator('td.running').first().waitFor();
    // columns in pipeline order, dev, stg, prod: 1.1.0 ran in dev (1.2.0 runs there now), runs in stg, never in prod
    // created as the test began: "just now", or seconds ago on a loaded machine
    expect((await row(page, '1.1.0').innerText()).split('\t')).toEqual([
      '1.1.0',
      expect.stringMatching(/^(just now|\d+ seconds ago)$/),
      '0',
      '✓ success yesterday',
      '✓ success yesterdayrunning',
      '—',
    ]);

    expect(
      await page.evaluate("[sessionStorage.getItem('gitweave.token'), localStorage.length, document.cookie]"),
    ).toEqual([world.releaseManager.token, 0, '']);
    // a reload keeps the session, a new tab does not have it
    await page.reload();
    await environment(page, 'prod').getByText('1.0.0').waitFor();
    const other = await context.newPage();
    await other.goto(pageUrl());
    await other.getByLabel('API token').waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });

  it('deploys a release from the page and shows the new deployment where it runs', async () => {
    const { context, page, errors } = await session();
    await signIn(page, world.releaseManager.token);
    await row(page, '1.2.0').getByRole('button', { name: '1.2.0' }).click();
    const details = page.locator('#details');
    await details.getByRole('heading', { name: 'Release 1.2.0' }).waitFor();
    expect(await details.locator('.artifacts').innerText()).toContain('app-1.2.0.tgz');
    expect(await details.locator('.artifacts').innerText()).toContain('64 KiB');
    expect(await details.locator('code.sha').innerText()).toMatch(/^[0-9a-f]{64}$/);

    await details.getByRole('button', { name: 'Deploy to prod' }).click();
    await details.getByRole('status').filter({ hasText: 'Deployed 1.2.0 to prod.' }).waitFor();
    await environment(page, 'prod').getByText('1.2.0').waitFor();
    expect(await environment(page, 'prod').innerText()).toMatch(/1\.2\.0[\s\S]*success[\s\S]*deployed just now/);
    expect(await details.locator('.deployments li').first().innerText()).toMatch(/^prod ✓ success just now by rm/);
    await row(page, '1.2.0').locator('td.running').nth(1).waitFor();

    // recorded by the API as the release manager's deployment
    const where = await api('GET', `/repos/${world.repo.id}/environments`, { token: world.developer.token });
    expect(where.body.items.find((e: { name: string }) => e.name === 'prod').current).toMatchObject({
      releaseId: releases['1.2.0']!.id,
      version: '1.2.0',
      deployedBy: { id: world.releaseManager.id, name: 'rm' },
    });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('renders release notes as Markdown and never runs a script from them', async () => {
    const { context, page, errors } = await session();
    await signIn(page, world.developer.token);
    await row(page, '1.2.1-rc.1').getByRole('button', { name: '1.2.1-rc.1' }).click();
    const notes = page.locator('#details [data-notes]');
    await notes.getByRole('heading', { name: 'Safe heading' }).waitFor();
    expect(await notes.locator('strong').innerText()).toBe('bold');
    await notes.locator('img').waitFor({ state: 'attached' });
    // let the image fail to load, which is when an onerror handler would have run
    // (page-side code: the Node side of the project is type-checked without the DOM's types)
    await page.waitForFunction(() =>
      [...(globalThis as any).document.querySelectorAll('[data-notes] img')].every((img: any) => img.complete),
    );

    const found = await page.evaluate(`({
      pwned: window.__pwned ?? null,
      scripts: document.querySelectorAll('[data-notes] script, [data-notes] iframe').length,
      handlers: [...document.querySelectorAll('[data-notes] *')].flatMap((el) => el.getAttributeNames().filter((n) => n.startsWith('on'))),
      links: [...document.querySelectorAll('[data-notes] a')].map((a) => [a.textContent, a.getAttribute('href')]),
    })`);
    expect(found).toEqual({
      pwned: null,
      scripts: 0,
      handlers: [],
      links: [
        ['a link', null],
        ['another link', null],
      ],
    });

    // the second wall: markup put into the page behind the sanitiser's back still runs nothing, by the page's CSP
    await page.evaluate(
      `document.body.insertAdjacentHTML('beforeend', '<img id="raw" src="y" onerror="window.__pwned = 1">')`,
    );
    await page.waitForFunction(() => (globalThis as any).document.getElementById('raw').complete);
    expect(await page.evaluate('window.__pwned ?? null')).toBeNull();
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows Deploy disabled with the reason where the user may not deploy, and the problem detail of a refused request', async () => {
    const { context, page, errors } = await session();
    await signIn(page, `gwr_${'A'.repeat(43)}`);
    await page.getByText('The API token is not valid, or has been revoked.').waitFor();

    await signIn(page, world.developer.token);
    await environment(page, 'prod').waitFor();
    expect(await page.locator('#role').innerText()).toBe('developer');
    await row(page, '1.1.0').getByRole('button', { name: '1.1.0' }).click();
    const details = page.locator('#details');
    const prod = details.getByRole('button', { name: 'Deploy to prod' });
    await prod.waitFor();
    expect(await prod.isDisabled()).toBe(true);
    expect(await prod.getAttribute('aria-describedby').then((id) => details.locator(`#${id}`).innerText())).toBe(
      `prod is protected: deploying there needs the release_manager role, and you are a developer in ${world.org.slug}.`,
    );
    expect(await details.getByRole('button', { name: 'Deploy to dev' }).isEnabled()).toBe(true);

    // a release manager demoted while the page is open: the page offers prod, the API refuses, the page says why
    const demoted = await createUser(pool, 'demoted', { orgSlug: world.org.slug, role: 'release_manager' });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, demoted.token);
    await row(page, '1.1.0').getByRole('button', { name: '1.1.0' }).click();
    await details.getByRole('button', { name: 'Deploy to prod' }).waitFor();
    await addMember(pool, world.org.slug, demoted.id, 'developer');
    await details.getByRole('button', { name: 'Deploy to prod' }).click();
    const refused = details.getByRole('status');
    await refused.filter({ hasText: /release_manager/ }).waitFor();
    const problem = await api('POST', `/repos/${world.repo.id}/releases/${releases['1.1.0']!.id}/deployments`, {
      token: demoted.token,
      json: { environmentId: environments.prod!.id },
    });
    expect(problem.status).toBe(403);
    expect(await refused.innerText()).toBe(problem.body.detail);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows 1,000 releases a page at a time, never fetching them all', async () => {
    const big = await createRepo(pool, world.org.slug, 'big');
    await pool.query(sql`
      INSERT INTO releases (repo_id, version, notes, created_by, created_at)
      SELECT ${big.id}, '0.0.' || g, 'release ' || g, ${world.releaseManager.id}, now() - interval '2 hours' + g * interval '1 second'
      FROM generate_series(1, 1000) g
    `);
    const { context, page, errors } = await session();
    const requests: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname.startsWith(`/api/v1/repos/${big.id}/releases`))
        requests.push(`${url.pathname.slice(`/api/v1/repos/${big.id}`.length)}${url.search}`);
    });
    await signIn(page, world.releaseManager.token);
    await environment(page, 'prod').waitFor();

    // speed is the benchmark's business (bench/); here: a page at a time, whatever the history
    await page.getByLabel('Repository').selectOption({ label: 'big' });
    await row(page, '0.0.1000').waitFor();
    // every row's deployments are in once no cell waits for its release's details
    await page.waitForFunction(() => {
      const cells: any[] = [...(globalThis as any).document.querySelectorAll('#releases-body td')];
      return cells.length > 0 && !cells.some((td) => td.textContent === '…');
    });
    expect(await versions(page)).toEqual(Array.from({ length: 20 }, (_, i) => `0.0.${1000 - i}`));
    const lists = () => requests.filter((r) => r.startsWith('/releases?'));
    expect(lists()).toEqual(['/releases?limit=20']);
    expect(requests.length).toBe(21);

    await page.getByRole('button', { name: 'Load more releases' }).click();
    await row(page, '0.0.961').waitFor();
    expect((await versions(page)).length).toBe(40);
    expect(lists()).toHaveLength(2);
    expect(lists()[1]).toMatch(/^\/releases\?limit=20&cursor=[\w-]+$/);
    expect(await page.evaluate("sessionStorage.getItem('gitweave.repo')")).toBe(big.id);
    expect(errors).toEqual([]);
    await context.close();
  });
});
