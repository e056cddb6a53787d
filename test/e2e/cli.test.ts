import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createUser } from '../../lib/domain/orgs';
import { sql } from '../../lib/infra/db';
import { api } from '../helpers/api';
import { orgWithMembers } from '../helpers/factories';
import { useWorld } from '../helpers/world';

// each test runs the CLI several times, a Node process apiece: on a loaded machine that is tens of seconds
vi.setConfig({ testTimeout: 120_000 });

const exec = promisify(execFile);
const CLI = 'bin/gitweave-release.mjs';
const { pool, world } = useWorld();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gitweave-pipeline-'));

beforeAll(async () => {
  // npm ci's prepare step builds the CLI; build it here too when a developer skipped that
  if (!fs.existsSync(CLI)) await exec('npm', ['run', '-s', 'build:cli']);
}, 60_000);
afterAll(async () => {
  fs.rmSync(work, { recursive: true, force: true });
});

async function cli(args: string[], token = world.developer.token) {
  try {
    const { stdout, stderr } = await exec(process.execPath, [CLI, ...args], {
      env: { ...process.env, GITWEAVE_URL: inject('apiUrl').replace(/\/api\/v1$/, ''), GITWEAVE_TOKEN: token },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('a CI pipeline driving the gitweave-release CLI', () => {
  it('builds a file, adds it, releases it, deploys it to dev and sees it in the status', async () => {
    const repo = world.repo.id;
    const file = path.join(work, 'app-1.0.0.tgz');
    fs.writeFileSync(file, 'the build output');
    fs.writeFileSync(path.join(work, 'CHANGES.md'), '# 1.0.0\n- first');

    const added = await cli(['artifact', 'add', file, '--repo', repo, '--json']);
    expect(added.code).toBe(0);
    const artifact = JSON.parse(added.stdout);
    expect(artifact).toMatchObject({ name: 'app-1.0.0.tgz', sizeBytes: 16 });

    const released = await cli([
      'release',
      'create',
      repo,
      '1.0.0',
      '--notes-file',
      path.join(work, 'CHANGES.md'),
      '--artifact',
      artifact.id,
    ]);
    expect(released).toMatchObject({ code: 0, stdout: expect.stringContaining('release 1.0.0') });

    const deployed = await cli(['deploy', repo, '1.0.0', 'dev']);
    expect(deployed).toMatchObject({ code: 0, stdout: expect.stringMatching(/1\.0\.0 → dev\s+success/) });

    const status = await cli(['status', repo]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^ENVIRONMENT\s+VERSION\s+DEPLOYED\s+BY$/m);
    expect(status.stdout).toMatch(/^dev\s+1\.0\.0\s+\S+Z\s+/m);
    expect(status.stdout).toMatch(/^prod \(protected\)\s+-/m);

    const listed = await cli(['releases', repo, '--json']);
    expect(JSON.parse(listed.stdout).items.map((r: { version: string }) => r.version)).toEqual(['1.0.0']);
  });

  it('finishes a deployment that took time', async () => {
    const repo = world.repo.id;
    expect((await cli(['release', 'create', repo, '1.1.0'])).code).toBe(0);
    // prod requires stg
    expect((await cli(['deploy', repo, '1.1.0', 'stg'], world.releaseManager.token)).code).toBe(0);
    const started = JSON.parse(
      (await cli(['deploy', repo, '1.1.0', 'prod', '--status', 'in_progress', '--json'], world.releaseManager.token))
        .stdout,
    );
    expect(started.status).toBe('in_progress');
    const finished = await cli(['deployment', 'finish', started.id, 'success'], world.releaseManager.token);
    expect(finished).toMatchObject({ code: 0, stdout: expect.stringContaining('success') });
  });

  it("exits non-zero with the problem's message when the API refuses", async () => {
    const refused = await cli(['deploy', world.repo.id, '1.0.0', 'prod']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^gitweave-release: 403 Forbidden: .*release_manager/);
    const missing = await cli(['release', 'create', world.repo.id, 'not-semver']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('/body/version');
    const usage = await cli(['frobnicate']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^gitweave-release: unknown command: frobnicate\n\nusage: gitweave-release/);
  });

  it('gives a release a title with --title, and its version stands for the title without one', async () => {
    const titled = await cli(['release', 'create', world.repo.id, '4.0.0', '--title', 'Eighty', '--json']);
    expect(titled.code).toBe(0);
    expect(JSON.parse(titled.stdout)).toMatchObject({ version: '4.0.0', title: 'Eighty' });
    const plain = await cli(['release', 'create', world.repo.id, '4.0.1', '--json']);
    expect(JSON.parse(plain.stdout)).toMatchObject({ version: '4.0.1', title: '4.0.1' });
  });

  it('creates a draft with --draft, publishes it, and deletes a release that never ran', async () => {
    const draft = await cli(['release', 'create', world.repo.id, '4.1.0', '--draft', '--json']);
    expect([draft.code, JSON.parse(draft.stdout).draft]).toEqual([0, true]);
    const listed = await cli(['releases', world.repo.id]);
    expect(listed.stdout).toMatch(/^4\.1\.0 \(draft\) /m);
    const published = await cli(['release', 'publish', world.repo.id, '4.1.0', '--json']);
    expect([published.code, JSON.parse(published.stdout).draft]).toEqual([0, false]);
    const deleted = await cli(['release', 'delete', world.repo.id, 'v4.1.0']);
    expect([deleted.code, deleted.stdout]).toEqual([0, 'release v4.1.0 deleted\n']);
    const again = await cli(['release', 'delete', world.repo.id, '4.1.0']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('Release 4.1.0 was not found in this repo');
  });

  it('refuses, by name and before any request, an option the command does not take', async () => {
    // --kind is history's: deploy says so instead of ignoring it
    const wrong = await cli(['deploy', world.repo.id, '1.0.0', 'prod', '--kind', 'rollback']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(
      /^gitweave-release: deploy takes no --kind option \(it takes --status, --wait, --timeout, beside --url, --token and --json\)\n/,
    );
    const none = await cli(['releases', world.repo.id, '--out', 'x']);
    expect(none).toMatchObject({ code: 2, stdout: '' });
    expect(none.stderr).toContain('releases takes no --out option (it takes none of its own');
  });

  it('makes a narrower token for the pipeline, lists it and revokes it', async () => {
    const made = await cli(['token', 'create', 'pipeline', '--scopes', 'read,deploy', '--json']);
    expect(made.code).toBe(0);
    const token = JSON.parse(made.stdout);
    expect(token).toMatchObject({ name: 'pipeline', scopes: ['read', 'deploy'], expiresAt: null });
    const refused = await cli(['release', 'create', world.repo.id, '7.0.0'], token.token);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('needs a token with the release scope');
    const listed = await cli(['token', 'list'], token.token);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${token.id}\\s+pipeline\\s+read,deploy\\s+never\\s+\\S+Z$`, 'm'));
    expect(listed.stdout).not.toContain(token.token);
    expect(await cli(['token', 'revoke', token.id])).toMatchObject({ code: 0, stdout: `token ${token.id} revoked\n` });
    expect((await cli(['releases', world.repo.id], token.token)).stderr).toContain('401');
  });

  it('approves and rejects gated deployments, rolls back with a reason, and shows the history', async () => {
    const repo = world.repo.id;
    const other = await createUser(pool, 'ada', { orgSlug: world.org.slug, role: 'release_manager' });
    const gated = await api('PATCH', `/orgs/${world.org.slug}/environments/dev`, {
      token: world.releaseManager.token,
      json: { requiredApprovals: 1 },
    });
    expect(gated.status).toBe(200);
    const ask = async (version: string) => {
      expect((await cli(['release', 'create', repo, version])).code).toBe(0);
      const asked = JSON.parse((await cli(['deploy', repo, version, 'dev', '--json'])).stdout);
      expect(asked.status).toBe('waiting');
      return asked.id as string;
    };

    const approved = await cli(['approve', await ask('2.0.0'), '--comment', 'checked'], other.token);
    expect(approved).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/2\.0\.0 → dev\s+success\s+\(1\/1 approvals\)/),
    });
    const rejected = await cli(['reject', await ask('2.1.0'), '--comment', 'not today', '--json'], other.token);
    expect(JSON.parse(rejected.stdout)).toMatchObject({
      status: 'rejected',
      reviews: [{ reviewer: { id: other.id, name: 'ada' }, decision: 'reject', comment: 'not today' }],
    });
    const own = await cli(['approve', await ask('2.2.0')]);
    expect(own.code).toBe(1);
    expect(own.stderr).toMatch(/^gitweave-release: 403 Forbidden: .*release_manager/);

    const last = JSON.parse((await cli(['history', repo, 'dev', '--status', 'waiting', '--json'])).stdout).items[0];
    expect(last.version).toBe('2.2.0');
    expect((await cli(['approve', last.id], other.token)).code).toBe(0);

    expect((await cli(['rollback', repo, 'dev'])).code).toBe(2);
    const back = await cli(['rollback', repo, 'dev', '--reason', 'login broken']);
    expect(back).toMatchObject({ code: 0, stdout: expect.stringMatching(/^rollback \S+\s+dev → 2\.0\.0/) });
    const rollbacks = JSON.parse((await cli(['history', repo, 'dev', '--kind', 'rollback', '--json'])).stdout);
    expect(rollbacks.items.map((d: { version: string; reason: string }) => [d.version, d.reason])).toEqual([
      ['2.0.0', 'login broken'],
    ]);
    const table = await cli(['history', repo, 'dev']);
    expect(table.stdout).toMatch(/^STARTED\s+VERSION\s+STATUS\s+KIND\s+BY\s+ID$/m);
    expect(table.stdout).toMatch(/^\S+Z\s+2\.0\.0\s+success\s+rollback\s+dev\s/m);
  });

  it('prints the delivery metrics of an environment as a table and the DORA figures, and --json as the API has them', async () => {
    // an org of its own: another test of this file puts approvals on dev
    const own = await orgWithMembers(pool);
    const repo = own.repo.id;
    const from = new Date(Date.now() - 3_600_000).toISOString();
    for (const [version, status] of [
      ['1.0.0', 'success'],
      ['1.1.0', 'failed'],
      ['1.2.0', 'success'],
    ] as const) {
      expect((await cli(['release', 'create', repo, version], own.developer.token)).code).toBe(0);
      expect((await cli(['deploy', repo, version, 'dev', '--status', status], own.developer.token)).code).toBe(0);
    }
    const to = new Date(Date.now() + 3_600_000).toISOString();
    const args = ['metrics', repo, '--environment', 'dev', '--from', from, '--to', to];

    const json = await cli([...args, '--json'], own.developer.token);
    expect(json.code).toBe(0);
    const metrics = JSON.parse(json.stdout);
    const query = new URLSearchParams({ environment: 'dev', from, to });
    expect(metrics).toEqual((await api('GET', `/repos/${repo}/metrics?${query}`, { token: own.developer.token })).body);
    const sum = (key: string) => metrics.buckets.reduce((n: number, b: Record<string, number>) => n + b[key]!, 0);
    expect([sum('deployments'), sum('successes'), sum('failures'), sum('rollbacks')]).toEqual([3, 2, 1, 0]);

    const human = await cli(args, own.developer.token);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`dev: ${metrics.from} to ${metrics.to}, by day`);
    expect(human.stdout).toMatch(/^DAY\s+DEPLOYMENTS\s+SUCCESSES\s+FAILURES\s+ROLLBACKS$/m);
    for (const b of metrics.buckets) {
      expect(human.stdout).toMatch(
        new RegExp(
          `^${b.start.slice(0, 10)}\\s+${b.deployments}\\s+${b.successes}\\s+${b.failures}\\s+${b.rollbacks}$`,
          'm',
        ),
      );
    }
    expect(human.stdout).toMatch(
      new RegExp(
        `^deployment frequency\\s+${metrics.deploymentFrequency.toFixed(2)} per day \\(2 successful in 0\\.1 days\\)$`,
        'm',
      ),
    );
    expect(human.stdout).toMatch(/^change failure rate\s+33\.3%$/m);
    expect(human.stdout).toMatch(/^time to restore\s+median \d+s, p90 \d+s \(1 restore\)$/m);
    expect(human.stdout).toMatch(/^lead time\s+median \d+s, p90 \d+s \(2 releases\)$/m);

    const weekly = await cli([...args, '--bucket', 'week'], own.developer.token);
    expect(weekly.stdout).toMatch(/^WEEK OF\s+DEPLOYMENTS/m);
    const month = await cli([...args, '--bucket', 'month'], own.developer.token);
    expect(month.code).toBe(1);
    expect(month.stderr).toMatch(/^gitweave-release: 400 .*\n\s+\/query\/bucket: /);
    const bare = await cli(['metrics', repo], own.developer.token);
    expect(bare).toMatchObject({ code: 2, stderr: expect.stringContaining('metrics needs --environment') });
  });
});

describe('gitweave-release download', () => {
  const out = path.join(work, 'downloads');
  const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
  // past the 4 MiB a Lambda answer carries: serverless-offline answers it in parts, which the CLI follows
  const big = Buffer.alloc(5 * 1024 * 1024 + 7, 'weave');
  const small = Buffer.from('#!/bin/sh\necho install\n');
  const artifacts: { id: string; name: string }[] = [];

  beforeAll(async () => {
    for (const [name, bytes] of [
      ['app-3.0.0.tar', big],
      ['install.sh', small],
    ] as const) {
      fs.writeFileSync(path.join(work, name), bytes);
      const added = await cli(['artifact', 'add', path.join(work, name), '--repo', world.repo.id, '--json']);
      artifacts.push(JSON.parse(added.stdout));
    }
    const released = await cli([
      'release',
      'create',
      world.repo.id,
      '3.0.0',
      ...artifacts.flatMap((a) => ['--artifact', a.id]),
    ]);
    expect(released.code).toBe(0);
  }, 60_000);

  it('downloads every artifact of a release into --out, each checked against its SHA-256', async () => {
    const res = await cli(['download', world.repo.id, '3.0.0', '--out', out]);
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(res.stdout).toContain(
      `${path.join(out, 'app-3.0.0.tar')}  ${big.length} bytes  sha256 ${sha(big)}  verified`,
    );
    expect(sha(fs.readFileSync(path.join(out, 'app-3.0.0.tar')))).toBe(sha(big));
    expect(fs.readFileSync(path.join(out, 'install.sh'))).toEqual(small);
    expect(fs.readdirSync(out).sort()).toEqual(['app-3.0.0.tar', 'install.sh']);
  });

  it('downloads only the artifact named, and says which names there are when none is', async () => {
    const one = path.join(work, 'one');
    const res = await cli(['download', world.repo.id, 'v3.0.0', 'install.sh', '--out', one, '--json']);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual([
      {
        id: artifacts[1]!.id,
        name: 'install.sh',
        file: path.join(one, 'install.sh'),
        sizeBytes: small.length,
        sha256: sha(small),
      },
    ]);
    expect(fs.readdirSync(one)).toEqual(['install.sh']);
    const missing = await cli(['download', world.repo.id, '3.0.0', 'nope.tgz', '--out', one]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('has no artifact named "nope.tgz" (it has: app-3.0.0.tar, install.sh)');
  });

  it("exits 3 and keeps nothing when the bytes received are not the artifact's SHA-256", async () => {
    // the row now records another digest for the same file (its fingerprint unchanged, so the server does not hash
    // it again): the server sends the file's bytes under the wrong digest, as a corrupting proxy or disk would
    const file = path.join(work, 'corrupt.bin');
    fs.writeFileSync(file, 'the real bytes');
    const added = JSON.parse((await cli(['artifact', 'add', file, '--repo', world.repo.id, '--json'])).stdout);
    await cli(['release', 'create', world.repo.id, '3.0.1', '--artifact', added.id]);
    await pool.query(sql`UPDATE artifacts SET sha256 = ${sha(Buffer.from('other bytes'))} WHERE id = ${added.id}`);
    const target = path.join(work, 'corrupt');
    const res = await cli(['download', world.repo.id, '3.0.1', '--out', target]);
    expect(res.code).toBe(3);
    expect(res.stderr).toContain(
      `corrupt.bin: the downloaded bytes (14 bytes, SHA-256 ${sha(Buffer.from('the real bytes'))}) are not the artifact's`,
    );
    expect(res.stderr).toContain('nothing was kept');
    expect(fs.readdirSync(target)).toEqual([]);
  });

  it('exits 1 with the problem when the file was altered on the volume, and keeps nothing', async () => {
    const file = path.join(work, 'tampered.bin');
    fs.writeFileSync(file, 'built bytes');
    const added = JSON.parse((await cli(['artifact', 'add', file, '--repo', world.repo.id, '--json'])).stdout);
    await cli(['release', 'create', world.repo.id, '3.0.2', '--artifact', added.id]);
    fs.writeFileSync(path.join(inject('artifactsDir'), added.path), 'evil bytes!');
    const target = path.join(work, 'tampered');
    const res = await cli(['download', world.repo.id, '3.0.2', '--out', target]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('409 Conflict: The file of artifact');
    expect(fs.readdirSync(target)).toEqual([]);
  });
});
