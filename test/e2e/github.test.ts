import { createHash } from 'node:crypto';
import { Octokit } from '@octokit/rest';
import { describe, expect, inject, it } from 'vitest';
import { createRelease } from '../../lib/domain/releases';
import { onServerDoor } from '../helpers/api';
import { repoWithHistory } from '../helpers/gitRepos';
import { useWorld } from '../helpers/world';

// The GitHub-compatible surface through the real client: @octokit/rest, unchanged, with baseUrl set to our /api/v3
// (GitHub Enterprise's layout), on whichever door this run goes through (npm start's server or serverless-offline).
const { pool, world } = useWorld();

const baseUrl = inject('apiUrl').replace(/\/api\/v1$/, '/api/v3');
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const octokit = (token: string) => new Octokit({ baseUrl, auth: token, log: quiet });

/** What octokit threw for a refused request: its status and GitHub's error body. */
async function refusal(request: Promise<unknown>): Promise<{ status: number; data: Record<string, unknown> }> {
  const error = (await request.then(
    () => {
      throw new Error('expected the request to be refused');
    },
    (err: unknown) => err,
  )) as { status: number; response: { data: Record<string, unknown> } };
  return { status: error.status, data: error.response.data };
}

describe('the GitHub-compatible surface with @octokit/rest', () => {
  it('runs a whole pipeline: release, assets, tag, latest, 250 releases paginated, deployment and statuses', async () => {
    const gh = octokit(world.releaseManager.token);
    const repo = { owner: world.org.slug, repo: 'app' };

    const { data: release, status } = await gh.rest.repos.createRelease({
      ...repo,
      tag_name: 'v2.0.0',
      name: 'Two, the big one',
      body: '## Changes\n- all of them',
      target_commitish: 'main',
      prerelease: false,
    });
    expect(status).toBe(201);
    expect(release).toMatchObject({
      tag_name: 'v2.0.0',
      name: 'Two, the big one',
      body: '## Changes\n- all of them',
      target_commitish: 'main',
      draft: false,
      prerelease: false,
      assets: [],
      upload_url: `${baseUrl.replace(/\/api\/v3$/, '/api/uploads')}/repos/${world.org.slug}/app/releases/${release.id}/assets{?name,label}`,
    });
    expect(Number.isInteger(release.id)).toBe(true);

    // GitHub's documented way: upload to the release's upload_url (octokit expands its {?name,label})
    const binary = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37) % 256));
    const tarball = await gh.rest.repos.uploadReleaseAsset({
      ...repo,
      release_id: release.id,
      url: release.upload_url,
      name: 'app-2.0.0.tgz',
      label: 'the build',
      data: binary as unknown as string,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(tarball.status).toBe(201);
    expect(tarball.data).toMatchObject({
      name: 'app-2.0.0.tgz',
      label: 'the build',
      size: 4096,
      content_type: 'application/octet-stream',
      state: 'uploaded',
    });
    const notes = await gh.rest.repos.uploadReleaseAsset({
      ...repo,
      release_id: release.id,
      url: release.upload_url,
      name: 'CHECKSUMS.txt',
      data: 'sha256 of everything\n',
      headers: { 'content-type': 'text/plain' },
    });
    expect(notes.data).toMatchObject({ name: 'CHECKSUMS.txt', label: '', size: 21, content_type: 'text/plain' });

    const byTag = await gh.rest.repos.getReleaseByTag({ ...repo, tag: 'v2.0.0' });
    expect(byTag.data.id).toBe(release.id);
    expect(byTag.data.assets.map((asset) => asset.name)).toEqual(['app-2.0.0.tgz', 'CHECKSUMS.txt']);
    expect((await gh.rest.repos.getReleaseByTag({ ...repo, tag: '2.0.0' })).data.id).toBe(release.id);
    expect((await gh.rest.repos.getRelease({ ...repo, release_id: release.id })).data).toEqual(byTag.data);
    const assets = await gh.rest.repos.listReleaseAssets({ ...repo, release_id: release.id });
    expect(assets.data).toEqual(byTag.data.assets);
    const asset = await gh.rest.repos.getReleaseAsset({ ...repo, asset_id: tarball.data.id });
    expect(asset.data).toEqual(tarball.data);

    // a pre-release of a higher version is not the latest
    await gh.rest.repos.createRelease({ ...repo, tag_name: '2.1.0-rc.1', prerelease: true });
    expect((await gh.rest.repos.getLatestRelease(repo)).data.id).toBe(release.id);

    for (let i = 0; i < 248; i++) {
      await createRelease(pool, { repoId: world.repo.id, createdBy: world.releaseManager.id, version: `0.1.${i}` });
    }
    const pages: number[] = [];
    const all = await gh.paginate(gh.rest.repos.listReleases, { ...repo, per_page: 100 }, (response) => {
      pages.push(response.data.length);
      return response.data;
    });
    expect(pages).toEqual([100, 100, 50]);
    expect(new Set(all.map((r) => r.id)).size).toBe(250);
    expect(all[0]!.tag_name).toBe('v0.1.247');
    expect(all.slice(-2).map((r) => r.tag_name)).toEqual(['v2.1.0-rc.1', 'v2.0.0']);

    const deployment = await gh.rest.repos.createDeployment({
      ...repo,
      ref: 'v2.0.0',
      environment: 'dev',
      description: 'first deploy',
      auto_merge: false,
      required_contexts: [],
    });
    expect(deployment.status).toBe(201);
    const deploymentId = (deployment.data as { id: number }).id;
    expect(deployment.data).toMatchObject({
      ref: 'v2.0.0',
      environment: 'dev',
      description: 'first deploy',
      task: 'deploy',
    });
    const running = await gh.rest.repos.createDeploymentStatus({
      ...repo,
      deployment_id: deploymentId,
      state: 'in_progress',
      log_url: 'https://ci.example/run/1',
    });
    expect(running.data).toMatchObject({
      state: 'in_progress',
      log_url: 'https://ci.example/run/1',
      environment: 'dev',
    });
    const done = await gh.rest.repos.createDeploymentStatus({
      ...repo,
      deployment_id: deploymentId,
      state: 'success',
      description: 'deployed',
    });
    expect(done.data).toMatchObject({ state: 'success', description: 'deployed' });

    const deployments = await gh.rest.repos.listDeployments({ ...repo, environment: 'dev', ref: 'v2.0.0' });
    expect(deployments.data.map((d) => d.id)).toEqual([deploymentId]);
    expect((await gh.rest.repos.getDeployment({ ...repo, deployment_id: deploymentId })).data.id).toBe(deploymentId);
    const statuses = await gh.rest.repos.listDeploymentStatuses({ ...repo, deployment_id: deploymentId });
    // newest first: GitHub's two posts, and the in_progress the deployment started in
    expect(statuses.data.map((s) => s.state)).toEqual(['success', 'in_progress', 'in_progress']);
    expect(statuses.data[0]!.id).toBe(done.data.id);
    const environments = await gh.rest.repos.getAllEnvironments(repo);
    expect(environments.data.total_count).toBe(3);
    expect(environments.data.environments!.map((e) => e.name)).toEqual(['dev', 'stg', 'prod']);
    expect((await gh.rest.repos.getEnvironment({ ...repo, environment_name: 'prod' })).data.name).toBe('prod');

    // the release has been deployed: its assets are fixed
    const late = await refusal(
      gh.rest.repos.uploadReleaseAsset({
        ...repo,
        release_id: release.id,
        url: release.upload_url,
        name: 'late.txt',
        data: 'x',
      }),
    );
    expect(late.status).toBe(422);

    // the asset's bytes, as GitHub serves them with Accept: application/octet-stream, carry the native digests
    const download = await gh.rest.repos.getReleaseAsset({
      ...repo,
      asset_id: tarball.data.id,
      headers: { accept: 'application/octet-stream' },
    });
    const bytes = Buffer.from(download.data as unknown as ArrayBuffer);
    expect(sha256(bytes)).toBe(sha256(binary));
    expect(download.headers.etag).toBe(`"${sha256(binary)}"`);
    expect((tarball.data as { digest?: string }).digest).toBe(`sha256:${sha256(binary)}`);
    // and browser_download_url is the native download, which takes the same token
    const native = await fetch(tarball.data.browser_download_url, {
      headers: { authorization: `token ${world.releaseManager.token}` },
    });
    expect(sha256(Buffer.from(await native.arrayBuffer()))).toBe(sha256(binary));
  });

  it("refuses bad input in GitHub's error shape, with GitHub's statuses", async () => {
    const gh = octokit(world.developer.token);
    const repo = { owner: world.org.slug, repo: 'app' };
    const docs = 'https://docs.github.com/rest/releases/releases#create-a-release';

    expect(await refusal(gh.rest.repos.createRelease({ ...repo, tag_name: 'release-7' }))).toEqual({
      status: 422,
      data: {
        message: 'tag_name: "release-7" is not a SemVer 2.0.0 version (with or without a leading v)',
        documentation_url: docs,
        status: '422',
        errors: [
          {
            resource: 'Release',
            field: 'tag_name',
            code: 'invalid',
            message: '"release-7" is not a SemVer 2.0.0 version (with or without a leading v)',
          },
        ],
      },
    });
    const contradiction = await refusal(gh.rest.repos.createRelease({ ...repo, tag_name: 'v3.0.0', prerelease: true }));
    expect(contradiction).toMatchObject({
      status: 422,
      data: { errors: [{ resource: 'Release', field: 'prerelease', code: 'invalid' }] },
    });

    const { data: release } = await gh.rest.repos.createRelease({ ...repo, tag_name: 'v3.0.0' });
    const again = await refusal(gh.rest.repos.createRelease({ ...repo, tag_name: '3.0.0' }));
    expect(again).toMatchObject({
      status: 422,
      data: { errors: [{ resource: 'Release', field: 'tag_name', code: 'already_exists' }] },
    });

    const uploadsUrl = release.upload_url.replace(/\{.*$/, '');
    const noName = await refusal(
      gh.request(`POST ${uploadsUrl}`, { data: 'x', headers: { 'content-type': 'text/plain' } }),
    );
    expect(noName).toMatchObject({
      status: 422,
      data: { errors: [{ resource: 'ReleaseAsset', field: 'name', code: 'missing_field' }] },
    });
    const tooLarge = await refusal(
      gh.rest.repos.uploadReleaseAsset({
        ...repo,
        release_id: release.id,
        url: release.upload_url,
        name: 'big.bin',
        data: Buffer.alloc(10 * 1024 * 1024 + 1) as unknown as string,
        headers: { 'content-type': 'application/octet-stream' },
      }),
    );
    expect(tooLarge.status).toBe(413);
    // serverless-offline's HTTP layer (hapi) refuses it before any function runs, as {statusCode, error, message}
    if (onServerDoor) {
      expect(tooLarge.data).toEqual({
        message: `The request body is larger than the limit of ${10 * 1024 * 1024} bytes.`,
        documentation_url: 'https://docs.github.com/rest/releases/assets#upload-a-release-asset',
        status: '413',
      });
    }
    const upload = { ...repo, release_id: release.id, url: release.upload_url, name: 'a.txt', data: 'a' };
    await gh.rest.repos.uploadReleaseAsset(upload);
    expect(await refusal(gh.rest.repos.uploadReleaseAsset(upload))).toMatchObject({
      status: 422,
      data: { errors: [{ resource: 'ReleaseAsset', field: 'name', code: 'already_exists' }] },
    });

    const { data } = await gh.rest.repos.createDeployment({ ...repo, ref: 'v3.0.0', environment: 'dev' });
    const deploymentId = (data as { id: number }).id;
    await gh.rest.repos.createDeploymentStatus({ ...repo, deployment_id: deploymentId, state: 'failure' });
    const afterFinal = await refusal(
      gh.rest.repos.createDeploymentStatus({ ...repo, deployment_id: deploymentId, state: 'success' }),
    );
    expect(afterFinal).toMatchObject({
      status: 422,
      data: { errors: [{ resource: 'DeploymentStatus', field: 'state', code: 'invalid' }] },
    });

    const unknownRef = await refusal(gh.rest.repos.createDeployment({ ...repo, ref: 'v9.9.9', environment: 'dev' }));
    expect(unknownRef).toMatchObject({ status: 422, data: { errors: [{ field: 'ref' }] } });

    // a repo the caller cannot see does not exist, and a bad token is 401, both in GitHub's shape
    const outsider = await refusal(octokit(world.outsider.token).rest.repos.listReleases(repo));
    expect(outsider).toEqual({
      status: 404,
      data: {
        message: 'Not Found',
        documentation_url: 'https://docs.github.com/rest/releases/releases#list-releases',
        status: '404',
      },
    });
    expect((await refusal(octokit('gwr_not-a-token').rest.repos.listReleases(repo))).status).toBe(401);
  });
});

describe('drafts, edits and deletes with @octokit/rest', () => {
  it('creates a draft, collects and replaces its assets, publishes it, and deletes what never ran', async () => {
    const gh = octokit(world.developer.token);
    const repo = { owner: world.org.slug, repo: 'app' };
    const { data: draft } = await gh.rest.repos.createRelease({
      ...repo,
      tag_name: 'v6.0.0',
      draft: true,
      name: 'Six',
    });
    expect([draft.draft, draft.published_at, draft.name]).toEqual([true, null, 'Six']);
    const upload = { ...repo, release_id: draft.id, url: draft.upload_url, name: 'six.txt', data: 'first' };
    const { data: first } = await gh.rest.repos.uploadReleaseAsset(upload);
    await gh.rest.repos.deleteReleaseAsset({ ...repo, asset_id: first.id });
    await gh.rest.repos.uploadReleaseAsset({ ...upload, data: 'second' });
    const { data: latestBefore } = await gh.rest.repos.getLatestRelease(repo);
    expect(latestBefore.tag_name).not.toBe('v6.0.0');
    const { data: published } = await gh.rest.repos.updateRelease({ ...repo, release_id: draft.id, draft: false });
    expect([published.draft, typeof published.published_at, published.assets.map((a) => a.size)]).toEqual([
      false,
      'string',
      [6],
    ]);
    const prerelease = await refusal(gh.rest.repos.updateRelease({ ...repo, release_id: draft.id, prerelease: true }));
    expect(prerelease).toMatchObject({ status: 422, data: { errors: [{ resource: 'Release', field: 'prerelease' }] } });
    const retag = await refusal(gh.rest.repos.updateRelease({ ...repo, release_id: draft.id, tag_name: 'v6.0.1' }));
    expect(retag).toMatchObject({ status: 422, data: { errors: [{ resource: 'Release', field: 'tag_name' }] } });
    const { data: edited } = await gh.rest.repos.updateRelease({ ...repo, release_id: draft.id, body: 'notes' });
    expect([edited.body, edited.name]).toEqual(['notes', 'Six']);

    await gh.rest.repos.createDeployment({ ...repo, ref: 'v6.0.0', environment: 'dev' });
    const deployed = await refusal(gh.rest.repos.deleteRelease({ ...repo, release_id: draft.id }));
    expect(deployed).toMatchObject({
      status: 409,
      data: {
        message: 'Release 6.0.0 has been deployed (1 deployment), so it cannot be deleted: what ran stays recorded.',
      },
    });
    const { data: other } = await gh.rest.repos.createRelease({ ...repo, tag_name: 'v6.1.0' });
    expect((await gh.rest.repos.deleteRelease({ ...repo, release_id: other.id })).status).toBe(204);
    expect((await refusal(gh.rest.repos.getRelease({ ...repo, release_id: other.id }))).status).toBe(404);
  });
});

describe('release notes generated from the git history, with @octokit/rest', () => {
  it('generateReleaseNotes answers { name, body }, and createRelease with generate_release_notes fills the body', async () => {
    const { repo, ids } = await repoWithHistory(pool, world.org.slug, [
      { message: 'feat: first' },
      { message: 'fix(api): null body' },
      { message: 'feat(cli): notes command' },
    ]);
    const gh = octokit(world.releaseManager.token);
    const where = { owner: world.org.slug, repo: repo.name };
    await gh.rest.repos.createRelease({ ...where, tag_name: 'v1.0.0', target_commitish: ids[0] as string });

    const { data: notes, status } = await gh.rest.repos.generateReleaseNotes({
      ...where,
      tag_name: 'v1.1.0',
      target_commitish: 'main',
    });
    expect(status).toBe(200);
    expect(notes.name).toBe('v1.1.0');
    expect(notes.body).toMatch(
      /^### Features\n\n- \*\*cli:\*\* notes command .*\n\n### Bug fixes\n\n- \*\*api:\*\* null body /,
    );
    expect(notes.body).not.toContain('first');
    // a previous_tag_name that names no release: GitHub's 422, naming the field
    const unknown = await refusal(
      gh.rest.repos.generateReleaseNotes({
        ...where,
        tag_name: 'v1.1.0',
        target_commitish: 'main',
        previous_tag_name: 'v0.9.0',
      }),
    );
    expect(unknown).toMatchObject({ status: 422, data: { errors: [{ field: 'previous_tag_name' }] } });

    const { data: release } = await gh.rest.repos.createRelease({
      ...where,
      tag_name: 'v1.1.0',
      target_commitish: 'main',
      body: 'Upgrade notes first.',
      generate_release_notes: true,
    });
    expect(release).toMatchObject({
      tag_name: 'v1.1.0',
      name: 'v1.1.0',
      target_commitish: ids[2],
      body: `Upgrade notes first.\n\n${notes.body}`,
    });
    const { data: read } = await gh.rest.repos.getReleaseByTag({ ...where, tag: 'v1.1.0' });
    expect(read.body).toBe(release.body);
  });
});

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
