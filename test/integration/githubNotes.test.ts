import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from '@databases/pg';
import { describe, expect, it } from 'vitest';
import { handler as draftNotes } from '../../functions/draftReleaseNotes';
import { handler as createGhRelease } from '../../functions/ghCreateRelease';
import { handler as generateGhNotes } from '../../functions/ghGenerateReleaseNotes';
import { createRepo } from '../../lib/domain/orgs';
import { createRelease } from '../../lib/domain/releases';
import { invoke } from '../helpers/events';
import { gitDirFor, repoWithHistory } from '../helpers/gitRepos';
import { useWorld } from '../helpers/world';

// GitHub's generate release notes and create with generate_release_notes, on repos with a git history of their own.
const { pool, world } = useWorld();
const DOCS = 'https://docs.github.com/rest/releases/releases#generate-release-notes-content-for-a-release';

function generate(repoName: string, body: unknown, token = world.developer.token) {
  return invoke(generateGhNotes, {
    path: `/api/v3/repos/${world.org.slug}/${repoName}/releases/generate-notes`,
    pathParameters: { owner: world.org.slug, repo: repoName },
    body,
    token,
  });
}

function ghCreate(repoName: string, body: unknown) {
  return invoke(createGhRelease, {
    path: `/api/v3/repos/${world.org.slug}/${repoName}/releases`,
    pathParameters: { owner: world.org.slug, repo: repoName },
    body,
    token: world.releaseManager.token,
  });
}

/** The native draft of notes for the same range, to compare GitHub's body with. */
async function nativeNotes(repoId: string, body: Record<string, string>) {
  const res = await invoke(draftNotes, { pathParameters: { repo: repoId }, body, token: world.developer.token });
  expect(res.status).toBe(200);
  return res.body as { notes: string; range: { from: string | null; to: string } };
}

/** Points the bare repository's HEAD (its default branch, as a forge sets it) at `branch`. */
function setHead(repoName: string, branch: string) {
  execFileSync('git', [
    '--git-dir',
    gitDirFor(world.org.slug, repoName),
    'symbolic-ref',
    'HEAD',
    `refs/heads/${branch}`,
  ]);
}

const releaseCount = async (repoId: string) =>
  Number((await pool.query(sql`SELECT count(*) AS n FROM releases WHERE repo_id = ${repoId}`))[0].n);

const history = [
  { message: 'feat: first' },
  { message: 'fix(api): null body' },
  { message: 'feat(cli): notes command' },
  { message: 'feat!: drop the old flag' },
];

describe('POST /api/v3/repos/{owner}/{repo}/releases/generate-notes', () => {
  it("answers GitHub's { name, body }: the tag and the native notes since the previous release; writes nothing", async () => {
    const { repo, ids } = await repoWithHistory(pool, world.org.slug, history);
    await createRelease(pool, {
      repoId: repo.id,
      createdBy: world.releaseManager.id,
      version: '1.0.0',
      commit: ids[0],
    });
    const before = await releaseCount(repo.id);
    const res = await generate(repo.name, { tag_name: 'v2.0.0', target_commitish: 'main' });
    expect(res.status).toBe(200);
    const native = await nativeNotes(repo.id, { commit: 'main', version: '2.0.0' });
    expect(native.range.from).toBe(ids[0]);
    expect(res.body).toEqual({ name: 'v2.0.0', body: native.notes });
    expect(res.body.body).toContain('- **api:** null body');
    expect(res.body.body).not.toContain('first');
    expect(await releaseCount(repo.id)).toBe(before);

    // previous_tag_name starts the range at that release's commit
    await createRelease(pool, {
      repoId: repo.id,
      createdBy: world.releaseManager.id,
      version: '1.1.0',
      commit: ids[2],
    });
    const since = await generate(repo.name, {
      tag_name: 'v2.0.0',
      target_commitish: 'main',
      previous_tag_name: 'v1.0.0',
    });
    expect(since.body.body).toContain('null body');
    const latest = await generate(repo.name, { tag_name: 'v2.0.0', target_commitish: 'main' });
    expect(latest.body.body).not.toContain('null body');
    expect(latest.body.body).toContain('drop the old flag');
  });

  it("takes the repo's HEAD (its default branch) without target_commitish, and 422 asks for it when HEAD names no commit", async () => {
    const { repo, ids } = await repoWithHistory(pool, world.org.slug, history.slice(0, 2), {
      'refs/heads/main': 1,
      'refs/heads/old': 0,
    });
    // git init --bare leaves HEAD at a branch no commit is on (refs/heads/master here), as an empty forge repo has
    const unborn = await generate(repo.name, { tag_name: 'v0.1.0' });
    expect(unborn.status).toBe(422);
    expect(unborn.body).toEqual({
      message:
        "target_commitish is required here: the repo's HEAD (its default branch) names no commit; pass the commit or branch to release.",
      documentation_url: DOCS,
      status: '422',
      errors: [{ resource: 'Release', field: 'target_commitish', code: 'missing_field', message: 'is required' }],
    });
    setHead(repo.name, 'old');
    expect((await generate(repo.name, { tag_name: 'v0.1.0' })).body.body).not.toContain('null body');
    setHead(repo.name, 'main');
    const fromHead = await generate(repo.name, { tag_name: 'v0.1.0' });
    expect(fromHead.body.body).toBe((await nativeNotes(repo.id, { commit: ids[1] as string })).notes);
    expect(fromHead.body.body).toContain('null body');
  });

  it('uses the commit of the release a tag already names, as GitHub ignores target_commitish for an existing tag', async () => {
    const { repo, ids } = await repoWithHistory(pool, world.org.slug, history);
    await createRelease(pool, {
      repoId: repo.id,
      createdBy: world.releaseManager.id,
      version: '1.0.0',
      commit: ids[0],
    });
    await createRelease(pool, {
      repoId: repo.id,
      createdBy: world.releaseManager.id,
      version: '1.1.0',
      commit: ids[2],
    });
    const res = await generate(repo.name, { tag_name: 'v1.1.0', target_commitish: 'main' });
    expect(res.status).toBe(200);
    expect(res.body.body).toContain('notes command');
    expect(res.body.body).not.toContain('drop the old flag');
  });

  it("refuses in GitHub's shape: an unknown commit by name, an option-like ref with nothing run, a repo with no history", async () => {
    const { repo } = await repoWithHistory(pool, world.org.slug, history);
    const unknown = await generate(repo.name, { tag_name: 'v1.0.0', target_commitish: 'deadbeefdeadbeef' });
    expect(unknown.status).toBe(422);
    expect(unknown.body).toMatchObject({
      message: 'Commit deadbeefdeadbeef is not a commit of this repo.',
      documentation_url: DOCS,
      errors: [{ resource: 'Release', field: 'target_commitish', code: 'invalid' }],
    });
    const out = path.join(os.tmpdir(), `gitweave-gh-option-${process.pid}`);
    for (const [field, ref] of [
      ['target_commitish', `--output=${out}`],
      ['target_commitish', '-c core.pager=touch /tmp/x'],
      ['target_commitish', 'main..HEAD'],
    ] as const) {
      const res = await generate(repo.name, { tag_name: 'v1.0.0', [field]: ref });
      expect(res, ref).toMatchObject({
        status: 422,
        body: { errors: [{ resource: 'Release', field: 'target_commitish', code: 'invalid' }] },
      });
      expect(res.body.message, ref).toBe(`"${ref}" is not a commit id or a ref name.`);
    }
    expect(fs.existsSync(out)).toBe(false);
    const previous = await generate(repo.name, {
      tag_name: 'v1.0.0',
      target_commitish: 'main',
      previous_tag_name: 'v0.9.0',
    });
    expect([previous.status, previous.body.errors?.[0]?.field]).toEqual([422, 'previous_tag_name']);
    const notSemver = await generate(repo.name, { tag_name: 'nightly', target_commitish: 'main' });
    expect([notSemver.status, notSemver.body.errors?.[0]?.field]).toEqual([422, 'tag_name']);
    const configured = await generate(repo.name, {
      tag_name: 'v1.0.0',
      configuration_file_path: '.github/release.yml',
    });
    expect([configured.status, configured.body.errors?.[0]?.field]).toEqual([422, 'configuration_file_path']);

    const bare = await createRepo(pool, world.org.slug, `gh-no-history-${Date.now()}`);
    const none = await generate(bare.name, { tag_name: 'v1.0.0', target_commitish: 'main' });
    const native = await invoke(draftNotes, {
      pathParameters: { repo: bare.id },
      body: { commit: 'main' },
      token: world.developer.token,
    });
    expect([none.status, native.status]).toEqual([409, 409]);
    expect(none.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(none.body).toEqual({ message: native.body.detail, documentation_url: DOCS, status: '409' });
    expect(none.body.message).toMatch(/GIT_REPOS_DIR/);
  });

  it('is for members of the org only: another org does not see the repo', async () => {
    const { repo } = await repoWithHistory(pool, world.org.slug, history);
    const res = await generate(repo.name, { tag_name: 'v1.0.0', target_commitish: 'main' }, world.outsider.token);
    expect([res.status, res.body.message]).toEqual([404, 'Not Found']);
  });
});

describe('POST /api/v3/repos/{owner}/{repo}/releases with generate_release_notes', () => {
  it('fills the body with the generated notes, names the release by its tag, and records the range', async () => {
    const { repo, ids } = await repoWithHistory(pool, world.org.slug, history);
    await createRelease(pool, {
      repoId: repo.id,
      createdBy: world.releaseManager.id,
      version: '1.0.0',
      commit: ids[0],
    });
    const expected = (await nativeNotes(repo.id, { commit: 'main', version: '2.0.0' })).notes;
    const res = await ghCreate(repo.name, {
      tag_name: 'v2.0.0',
      target_commitish: 'main',
      generate_release_notes: true,
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ tag_name: 'v2.0.0', name: 'v2.0.0', body: expected, target_commitish: ids[3] });
    const [row] = await pool.query(sql`SELECT notes_range FROM releases WHERE github_id = ${res.body.id}`);
    expect(row.notes_range).toMatchObject({ from: ids[0], to: ids[3], previousVersion: '1.0.0' });
  });

  it("puts a given body before the generated notes (GitHub's rule) and keeps a given name", async () => {
    const { repo, ids } = await repoWithHistory(pool, world.org.slug, history);
    await createRelease(pool, {
      repoId: repo.id,
      createdBy: world.releaseManager.id,
      version: '1.0.0',
      commit: ids[0],
    });
    const expected = (await nativeNotes(repo.id, { commit: 'main', version: '1.1.0' })).notes;
    const res = await ghCreate(repo.name, {
      tag_name: 'v1.1.0',
      name: 'The notes release',
      body: 'Read this first.',
      target_commitish: ids[3],
      generate_release_notes: true,
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'The notes release', body: `Read this first.\n\n${expected}` });
    // the body is kept whole and the generated notes cut to the room left under RELEASE_NOTES_MAX_LEN, at a line
    const long = 'x'.repeat(4900);
    const cut = await ghCreate(repo.name, {
      tag_name: 'v1.0.1',
      body: long,
      target_commitish: 'main',
      generate_release_notes: true,
    });
    expect(cut.status).toBe(201);
    expect([...cut.body.body].length).toBeLessThanOrEqual(5000);
    expect(cut.body.body.startsWith(`${long}\n\n`)).toBe(true);
    expect(cut.body.body).toMatch(/more lines of generated notes were left out \(RELEASE_NOTES_MAX_LEN\)\.$/);
    // false is GitHub's default: the body alone
    const plain = await ghCreate(repo.name, { tag_name: 'v1.2.0', body: 'only this', generate_release_notes: false });
    expect([plain.status, plain.body.body, plain.body.name]).toEqual([201, 'only this', '1.2.0']);
  });

  it('takes HEAD without target_commitish, and refuses as generate-notes does, creating nothing', async () => {
    const { repo, ids } = await repoWithHistory(pool, world.org.slug, history);
    const unborn = await ghCreate(repo.name, { tag_name: 'v0.1.0', generate_release_notes: true });
    expect(unborn).toMatchObject({
      status: 422,
      body: { errors: [{ resource: 'Release', field: 'target_commitish', code: 'missing_field' }] },
    });
    const option = await ghCreate(repo.name, {
      tag_name: 'v0.1.0',
      target_commitish: '--output=/tmp/x',
      generate_release_notes: true,
    });
    expect([option.status, option.body.errors?.[0]?.field]).toEqual([422, 'target_commitish']);
    const unknown = await ghCreate(repo.name, {
      tag_name: 'v0.1.0',
      target_commitish: 'no-such-branch',
      generate_release_notes: true,
    });
    expect([unknown.status, unknown.body.message]).toEqual([
      422,
      'Commit no-such-branch is not a commit of this repo.',
    ]);
    expect(await releaseCount(repo.id)).toBe(0);
    setHead(repo.name, 'main');
    const res = await ghCreate(repo.name, { tag_name: 'v0.1.0', generate_release_notes: true });
    expect([res.status, res.body.target_commitish]).toEqual([201, ids[3]]);
    expect(res.body.body).toContain('drop the old flag');

    const bare = await createRepo(pool, world.org.slug, `gh-no-git-${Date.now()}`);
    const none = await ghCreate(bare.name, {
      tag_name: 'v1.0.0',
      target_commitish: 'main',
      generate_release_notes: true,
    });
    expect([none.status, none.body.message]).toEqual([409, expect.stringMatching(/GIT_REPOS_DIR/)]);
    expect(await releaseCount(bare.id)).toBe(0);
  });
});
