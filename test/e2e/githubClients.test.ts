import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from '@databases/pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRepo } from '../../lib/domain/orgs';
import { onServerDoor } from '../helpers/api';
import { repoWithHistory } from '../helpers/gitRepos';
import { startTlsProxy, type TlsProxy } from '../helpers/tlsProxy';
import { useWorld } from '../helpers/world';

// GitHub's own tools, unchanged, against the GitHub surface: Debian's gh (an enterprise host is https only, so it
// goes through a TLS proxy on 127.0.0.1 with a certificate made for this run) and PyGithub (python3-github). CI
// installs both with apt (.ci/run).
const run = promisify(execFile);
const { pool, world } = useWorld();
const origin = inject('apiUrl').replace(/\/api\/v1$/, '');
const auth = (token: string) => ({ authorization: `token ${token}` });

async function post(pathname: string, token: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${origin}${pathname}`, {
    method: 'POST',
    headers: { ...auth(token), 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
  expect([pathname, res.status]).toEqual([pathname, 201]);
  return res.json() as Promise<{ id: number }>;
}

/** The repo's releases, newest first: v1.32.0 … v1.0.0. */
const tags = Array.from({ length: 33 }, (_, i) => `v1.${32 - i}.0`);
const tarball = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 131 + 7) % 256));
let repoPath: string;
let deploymentId: number;
let proxy: TlsProxy;
let ghConfig: string;

beforeAll(async () => {
  repoPath = `/api/v3/repos/${world.org.slug}/app`;
  const token = world.releaseManager.token;
  await post(`${repoPath}/releases`, token, { tag_name: 'v1.0.0' });
  const release = await post(`${repoPath}/releases`, token, { tag_name: 'v1.1.0', body: 'the notes' });
  const uploads = `/api/uploads/repos/${world.org.slug}/app/releases/${release.id}/assets`;
  await post(`${uploads}?name=app.tgz`, token, tarball, { 'content-type': 'application/octet-stream' });
  await post(`${uploads}?name=SUMS.txt`, token, 'sums\n', { 'content-type': 'text/plain' });
  // 33 releases: two pages of GitHub's 30
  for (const minor of tags.slice(0, -2).reverse()) await post(`${repoPath}/releases`, token, { tag_name: minor });
  deploymentId = (await post(`${repoPath}/deployments`, token, { ref: 'v1.1.0', environment: 'dev' })).id;
  await post(`${repoPath}/deployments/${deploymentId}/statuses`, token, { state: 'success' });
  proxy = await startTlsProxy(origin);
  ghConfig = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-gh-'));
});

afterAll(async () => {
  await proxy?.close();
  if (ghConfig) fs.rmSync(ghConfig, { recursive: true, force: true });
});

/** `gh <args>` as a user would run it against this host, with nothing of this machine's own gh setup. */
async function gh(args: string[], cwd?: string): Promise<string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: ghConfig,
    GH_CONFIG_DIR: ghConfig,
    GH_HOST: proxy.host,
    GH_ENTERPRISE_TOKEN: world.releaseManager.token,
    SSL_CERT_FILE: proxy.certFile,
    GH_NO_UPDATE_NOTIFIER: '1',
    GH_PROMPT_DISABLED: '1',
    NO_COLOR: '1',
  };
  const { stdout } = await run('/usr/bin/gh', args, { env, cwd, timeout: 60_000 });
  return stdout;
}

describe('the GitHub CLI (gh)', () => {
  const repoArg = () => ['-R', `${proxy.host}/${world.org.slug}/app`];

  it('reads deployments and statuses and follows pages with gh api', async () => {
    const deployments = JSON.parse(await gh(['api', `repos/${world.org.slug}/app/deployments`]));
    expect(deployments.map((d: { id: number; ref: string }) => [d.id, d.ref])).toEqual([[deploymentId, 'v1.1.0']]);
    const statuses = JSON.parse(await gh(['api', `repos/${world.org.slug}/app/deployments/${deploymentId}/statuses`]));
    expect(statuses.map((s: { state: string }) => s.state)).toContain('success');
    const created = JSON.parse(
      await gh([
        'api',
        '-X',
        'POST',
        `repos/${world.org.slug}/app/deployments`,
        '-f',
        'ref=v1.32.0',
        '-f',
        'environment=dev',
      ]),
    );
    expect(created).toMatchObject({ ref: 'v1.32.0', environment: 'dev' });
    const listed = await gh([
      'api',
      '--paginate',
      `repos/${world.org.slug}/app/releases?per_page=10`,
      '--jq',
      '.[].tag_name',
    ]);
    expect(listed.trim().split('\n')).toEqual(tags);
  });

  it('views, lists and downloads releases', async () => {
    const view = JSON.parse(await gh(['release', 'view', 'v1.1.0', ...repoArg(), '--json', 'tagName,body,assets']));
    expect([view.tagName, view.body, view.assets.map((a: { name: string }) => a.name).sort()]).toEqual([
      'v1.1.0',
      'the notes',
      ['SUMS.txt', 'app.tgz'],
    ]);
    // gh lists 30 by default, newest first: TITLE, TYPE, TAG NAME, PUBLISHED
    const rows = (await gh(['release', 'list', ...repoArg()]))
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('\t'));
    expect(rows.map((row) => row[2])).toEqual(tags.slice(0, 30));
    expect(rows[0]?.[1]).toBe('Latest');
    const all = await gh(['release', 'list', '-L', '40', ...repoArg()]);
    expect(all.trim().split('\n').length).toBe(33);
    const into = fs.mkdtempSync(path.join(ghConfig, 'download-'));
    await gh(['release', 'download', 'v1.1.0', ...repoArg(), '-D', into]);
    expect(fs.readFileSync(path.join(into, 'app.tgz')).equals(tarball)).toBe(true);
    expect(fs.readFileSync(path.join(into, 'SUMS.txt'), 'utf8')).toBe('sums\n');
  });
});

describe('release notes generated from the git history, with gh', () => {
  it('creates a release with gh release create --generate-notes --target <sha>, and from --notes-start-tag', async () => {
    const { repo, ids } = await repoWithHistory(pool, world.org.slug, [
      { message: 'feat: first' },
      { message: 'fix(api): null body' },
      { message: 'feat(cli): notes command' },
      { message: 'perf: faster reads' },
    ]);
    const repoArg = ['-R', `${proxy.host}/${world.org.slug}/${repo.name}`];
    const sha = (i: number) => ids[i] as string;
    const view = async (tag: string) =>
      JSON.parse(await gh(['release', 'view', tag, ...repoArg, '--json', 'tagName,name,body,isDraft,targetCommitish']));
    const generated = async (fields: string[]) =>
      JSON.parse(
        await gh([
          'api',
          '-X',
          'POST',
          `repos/${world.org.slug}/${repo.name}/releases/generate-notes`,
          ...fields.flatMap((field) => ['-f', field]),
        ]),
      ) as { name: string; body: string };

    await gh(['release', 'create', 'v1.0.0', '--target', sha(0), '--notes', 'the first', ...repoArg]);
    const notes = await generated(['tag_name=v1.1.0', `target_commitish=${sha(2)}`]);
    expect(notes.body).toContain('- **api:** null body');
    expect(notes.body).not.toContain('faster reads');

    // gh sends generate_release_notes: true with the target; without assets it publishes at once
    const printed = await gh(['release', 'create', 'v1.1.0', '--generate-notes', '--target', sha(2), ...repoArg]);
    // what gh prints is the release's html_url (the dashboard here)
    const { url } = JSON.parse(await gh(['release', 'view', 'v1.1.0', ...repoArg, '--json', 'url']));
    expect(printed.trim()).toBe(url);
    expect(await view('v1.1.0')).toEqual({
      tagName: 'v1.1.0',
      name: 'v1.1.0',
      body: notes.body,
      isDraft: false,
      targetCommitish: sha(2),
    });

    // with --notes-start-tag gh asks generate-notes itself (previous_tag_name) and puts its --notes first
    const fromStart = await generated(['tag_name=v1.2.0', `target_commitish=${sha(3)}`, 'previous_tag_name=v1.0.0']);
    expect(fromStart.body).toContain('null body');
    expect(fromStart.body).toContain('faster reads');
    await gh([
      'release',
      'create',
      'v1.2.0',
      '--generate-notes',
      '--notes-start-tag',
      'v1.0.0',
      '--notes',
      'Read this first.',
      '--target',
      sha(3),
      ...repoArg,
    ]);
    expect(await view('v1.2.0')).toMatchObject({ name: 'v1.2.0', body: `Read this first.\n${fromStart.body}` });
  });
});

describe('PyGithub', () => {
  it('reads a repository, its releases both ways, assets, deployments and statuses, and maps errors', async () => {
    const script = path.join(import.meta.dirname, 'clients', 'pygithub_flow.py');
    const { stdout } = await run(
      '/usr/bin/python3',
      [script, `${origin}/api/v3`, world.developer.token, `${world.org.slug}/app`],
      { timeout: 60_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PYTHONDONTWRITEBYTECODE: '1' } },
    );
    const read = JSON.parse(stdout);
    expect(read).toEqual({
      repo: {
        full_name: `${world.org.slug}/app`,
        name: 'app',
        owner: world.org.slug,
        private: true,
        id_is_int: true,
        pull: true,
        push: true,
      },
      user: 'dev',
      releases: tags,
      reversed: [...tags].reverse(),
      latest: 'v1.32.0',
      release_by_tag: { id: expect.any(Number), title: '1.1.0', body: 'the notes' }, // the release's title: its version, none was given
      release_by_id: 'v1.1.0',
      assets: [
        ['SUMS.txt', 5],
        ['app.tgz', tarball.length],
      ],
      deployments: expect.arrayContaining([['v1.1.0', 'dev']]),
      statuses: expect.arrayContaining(['success']),
      status_by_id: 'success',
      errors: {
        bad_token: ['BadCredentialsException', 401],
        unknown_repo: ['UnknownObjectException', 404],
        unknown_status: ['UnknownObjectException', 404],
      },
    });
  });
});

describe('the GitHub CLI (gh): create with files, upload, --clobber, edit and delete', () => {
  // a repo of their own, so that the releases these make do not change what the lists above read
  const name = 'gh-edits';
  const repoArg = () => ['-R', `${proxy.host}/${world.org.slug}/${name}`];
  const api = () => `${origin}/api/v3/repos/${world.org.slug}/${name}`;
  const releaseOf = async (tag: string) => {
    const res = await fetch(`${api()}/releases/tags/${tag}`, { headers: auth(world.releaseManager.token) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & { assets: GhAsset[] } };
  };
  type GhAsset = { name: string; size: number; browser_download_url: string };
  const file = (fileName: string, content: Buffer | string) => {
    const target = path.join(fs.mkdtempSync(path.join(ghConfig, 'files-')), fileName);
    fs.writeFileSync(target, content);
    return target;
  };

  beforeAll(async () => {
    await createRepo(pool, world.org.slug, name);
  });

  // gh types an upload by its extension (.tgz: application/x-gtar). serverless-offline decodes every body but
  // application/octet-stream as UTF-8, so a binary .tgz is refused there (a documented limit of the emulator's door,
  // docs/github.md); through it the same flow uploads a name gh types as octet-stream
  const assetName = onServerDoor ? 'app.tgz' : 'app.bin';

  it('creates a release with a file and a title: gh makes a draft, uploads to it, then publishes it', async () => {
    await gh(['release', 'create', 'v2.0.0', file(assetName, tarball), '--title', 'Two', ...repoArg()]);
    const { status, body } = await releaseOf('v2.0.0');
    expect([status, body.draft, body.name, typeof body.published_at]).toEqual([200, false, 'Two', 'string']);
    expect(body.assets.map((asset) => [asset.name, asset.size])).toEqual([[assetName, tarball.length]]);
    const events = await pool.query(sql`
      SELECT e.type, e.resource->>'draft' AS draft FROM events e JOIN repos r ON r.id = e.repo_id
      WHERE r.org_id = ${world.org.id} AND r.name = ${name} AND e.resource->>'version' = '2.0.0'
      ORDER BY e.txid, e.seq`);
    expect(events.map((event) => [event.type, event.draft])).toEqual([
      ['release.created', 'true'],
      ['release.published', 'false'],
    ]);
  });

  it('uploads a file to a release, and replaces it with upload --clobber', async () => {
    await gh(['release', 'create', 'v2.1.0', '--title', 'Two one', '--notes', 'n', ...repoArg()]);
    await gh(['release', 'upload', 'v2.1.0', file('notes.txt', 'first\n'), ...repoArg()]);
    expect((await releaseOf('v2.1.0')).body.assets.map((asset) => [asset.name, asset.size])).toEqual([
      ['notes.txt', 6],
    ]);
    await gh(['release', 'upload', 'v2.1.0', file('notes.txt', 'the second\n'), '--clobber', ...repoArg()]);
    const { assets } = (await releaseOf('v2.1.0')).body;
    expect(assets.map((asset) => [asset.name, asset.size])).toEqual([['notes.txt', 11]]);
    const bytes = await fetch(assets[0]!.browser_download_url, { headers: auth(world.releaseManager.token) });
    expect(await bytes.text()).toBe('the second\n');
  });

  it('edits the title and notes of a release', async () => {
    await gh(['release', 'create', 'v2.2.0', '--title', 'Before', '--notes', 'old', ...repoArg()]);
    await gh(['release', 'edit', 'v2.2.0', '--title', 'After', '--notes', 'new notes', ...repoArg()]);
    const { body } = await releaseOf('v2.2.0');
    expect([body.name, body.body, body.tag_name, body.draft]).toEqual(['After', 'new notes', 'v2.2.0', false]);
  });

  it('deletes a release that never ran, and is refused, with the reason, for one that did', async () => {
    await gh(['release', 'create', 'v2.3.0', '--title', 'Gone soon', '--notes', '', ...repoArg()]);
    await gh(['release', 'delete', 'v2.3.0', '--yes', ...repoArg()]);
    expect((await releaseOf('v2.3.0')).status).toBe(404);
    await gh(['release', 'create', 'v2.4.0', '--title', 'Ran', '--notes', '', ...repoArg()]);
    await post(`/api/v3/repos/${world.org.slug}/${name}/deployments`, world.releaseManager.token, {
      ref: 'v2.4.0',
      environment: 'dev',
    });
    const refused = await gh(['release', 'delete', 'v2.4.0', '--yes', ...repoArg()]).then(
      () => '',
      (err: { stderr: string }) => err.stderr,
    );
    expect(refused).toContain('has been deployed (1 deployment), so it cannot be deleted: what ran stays recorded');
    expect((await releaseOf('v2.4.0')).status).toBe(200);
  });
});
