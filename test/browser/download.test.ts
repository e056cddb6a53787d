import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { api } from '../helpers/api';
import { writeBuildFile } from '../helpers/factories';
import { useWorld } from '../helpers/world';

// Download links of the release dashboard in Debian's Chromium: a click fetches the file with the tab's token,
// checks its SHA-256 and saves it under the artifact's name; a refused download says why beside the link.
const CHROMIUM = '/usr/bin/chromium';
const { world } = useWorld();
let browser: Browser;
const pageUrl = () => inject('apiUrl').replace(/api\/v1$/, '');
const build = Buffer.from('the 4.0.0 build\n'.repeat(10_000));
const files: Record<string, string> = {};

async function register(name: string, content: Buffer): Promise<string> {
  const file = writeBuildFile(world.repo.id, `browser-dl/${name}`, content);
  files[name] = path.join(inject('artifactsDir'), file);
  const res = await api('POST', `/repos/${world.repo.id}/artifacts`, {
    token: world.releaseManager.token,
    json: { name, path: file },
  });
  expect(res.status).toBe(201);
  return res.body.id;
}

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is not installed, so the dashboard cannot be tested: apt-get install -y chromium`);
  }
  const ids = [await register('app-4.0.0.tgz', build), await register('tampered.tgz', Buffer.from('as built'))];
  const res = await api('POST', `/repos/${world.repo.id}/releases`, {
    token: world.releaseManager.token,
    json: { version: '4.0.0', artifactIds: ids },
  });
  expect(res.status).toBe(201);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless', '--disable-gpu'] });
});
afterAll(async () => {
  await browser?.close();
});

async function releaseDetails(): Promise<{ page: Page; errors: string[]; close: () => Promise<void> }> {
  const context = await browser.newContext({ acceptDownloads: true });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(pageUrl());
  await page.getByLabel('API token').fill(world.developer.token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#releases-body tr[data-version="4.0.0"]').getByRole('button', { name: '4.0.0' }).click();
  await page.locator('#details').getByRole('heading', { name: 'Release 4.0.0' }).waitFor();
  return { page, errors, close: () => context.close() };
}

describe('download links of the release dashboard', () => {
  it("saves an artifact's file under its name, its SHA-256 checked", async () => {
    const { page, errors, close } = await releaseDetails();
    const [saved] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'app-4.0.0.tgz' }).click(),
    ]);
    expect(saved.suggestedFilename()).toBe('app-4.0.0.tgz');
    const bytes = fs.readFileSync((await saved.path())!);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(createHash('sha256').update(build).digest('hex'));
    await page.getByRole('status').filter({ hasText: 'saved, SHA-256 checked' }).waitFor();
    expect(errors).toEqual([]);
    await close();
  });

  it('shows why a file altered on the volume is refused, and saves nothing', async () => {
    fs.writeFileSync(files['tampered.tgz']!, 'tampered');
    const { page, errors, close } = await releaseDetails();
    let downloads = 0;
    page.on('download', () => {
      downloads += 1;
    });
    await page.getByRole('link', { name: 'tampered.tgz' }).click();
    await page.getByRole('status').filter({ hasText: 'was altered on the artifacts volume' }).waitFor();
    expect(downloads).toBe(0);
    expect(errors).toEqual([]);
    await close();
  });
});
