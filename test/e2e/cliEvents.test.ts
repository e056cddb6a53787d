import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createUser } from '../../lib/domain/orgs';
import { api } from '../helpers/api';
import type { Member } from '../helpers/factories';
import { useWorld } from '../helpers/world';

// The CLI names repos org/name, waits for a deployment to be final (following the feed), and watches.
const exec = promisify(execFile);
const CLI = 'bin/gitweave-release.mjs';
const { pool, world } = useWorld();
let reviewer: Member;
let repo: string;

const env = (token: string) => ({
  ...process.env,
  GITWEAVE_URL: inject('apiUrl').replace(/\/api\/v1$/, ''),
  GITWEAVE_TOKEN: token,
});

beforeAll(async () => {
  if (!fs.existsSync(CLI)) await exec('npm', ['run', '-s', 'build:cli']);
  reviewer = await createUser(pool, 'ada', { orgSlug: world.org.slug, role: 'release_manager' });
  repo = `${world.org.slug}/app`;
}, 60_000);

/** The CLI started in the background: its output so far, and its exit. */
function start(args: string[], token = world.releaseManager.token) {
  const child: ChildProcess = spawn(process.execPath, [CLI, ...args], { env: env(token) });
  const out = { stdout: '', stderr: '' };
  child.stdout?.on('data', (chunk) => {
    out.stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    out.stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code) => resolve({ code, ...out }));
  });
  return { child, out, exited };
}

function cli(args: string[], token = world.releaseManager.token) {
  return start(args, token).exited;
}

async function until(condition: () => boolean) {
  while (!condition()) await sleep(20);
}

async function gate(environment: string, approvals: number) {
  const res = await api('PATCH', `/orgs/${world.org.slug}/environments/${environment}`, {
    token: world.releaseManager.token,
    json: { requiredApprovals: approvals },
  });
  expect(res.status).toBe(200);
}

/** Starts `deploy … --wait`, and returns once the deployment exists (its id, from what the CLI says). */
async function deployWaiting(version: string, environment: string, extra: string[] = []) {
  expect((await cli(['release', 'create', repo, version])).code).toBe(0);
  const waiting = start(['deploy', repo, version, environment, '--wait', ...extra]);
  await until(() => /waiting until it is final/.test(waiting.out.stderr) || waiting.child.exitCode !== null);
  const id = /deployment (\S+)/.exec(waiting.out.stderr)?.[1];
  return { ...waiting, id: id ?? '' };
}

describe('repos by name in the CLI', () => {
  it('takes org/name wherever it takes a repo id, and says what is wrong with a bad one', async () => {
    const released = await cli(['release', 'create', repo, '1.0.0', '--json'], world.developer.token);
    expect(released.code).toBe(0);
    expect(JSON.parse(released.stdout).repoId).toBe(world.repo.id);
    const listed = await cli(['releases', repo], world.developer.token);
    expect(listed.stdout).toMatch(/^1\.0\.0\s/m);
    expect((await cli(['status', repo], world.developer.token)).stdout).toMatch(/^dev\s+-/m);
    const unknown = await cli(['releases', `${world.org.slug}/nope`], world.developer.token);
    expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringContaining('404')]);
    const outsider = await cli(['releases', repo], world.outsider.token);
    expect([outsider.code, outsider.stderr]).toEqual([1, expect.stringContaining('404')]);
    const malformed = await cli(['releases', 'just-a-name'], world.developer.token);
    expect([malformed.code, malformed.stderr]).toEqual([2, expect.stringContaining('org/name')]);
  });
});

describe('deploy --wait', () => {
  it('returns at once, exit 0, for a deployment that is final when made', async () => {
    expect((await cli(['release', 'create', repo, '2.0.0'])).code).toBe(0);
    const done = await cli(['deploy', repo, '2.0.0', 'dev', '--wait']);
    expect(done).toMatchObject({ code: 0, stdout: expect.stringMatching(/2\.0\.0 → dev\s+success/) });
  });

  it('waits for the approval of a gated deployment and exits 0 when it succeeds', async () => {
    await gate('dev', 1);
    const waiting = await deployWaiting('2.1.0', 'dev');
    expect(waiting.child.exitCode).toBe(null);
    const approved = await api('POST', `/deployments/${waiting.id}/reviews`, {
      token: reviewer.token,
      json: { decision: 'approve' },
    });
    expect(approved.status).toBe(201);
    const done = await waiting.exited;
    expect(done).toMatchObject({ code: 0, stdout: expect.stringMatching(/2\.1\.0 → dev\s+success/) });
  });

  it('exits 1 when the deployment is rejected, and when it is cancelled', async () => {
    await gate('dev', 1);
    const rejected = await deployWaiting('2.2.0', 'dev');
    await api('POST', `/deployments/${rejected.id}/reviews`, { token: reviewer.token, json: { decision: 'reject' } });
    expect(await rejected.exited).toMatchObject({ code: 1, stdout: expect.stringMatching(/rejected/) });
    const cancelled = await deployWaiting('2.3.0', 'dev');
    await api('POST', `/deployments/${cancelled.id}/cancel`, { token: world.releaseManager.token, json: {} });
    expect(await cancelled.exited).toMatchObject({ code: 1, stdout: expect.stringMatching(/cancelled/) });
  });

  it('exits 1 when an in_progress deployment finishes as failed', async () => {
    await gate('dev', 0);
    const running = await deployWaiting('2.4.0', 'dev', ['--status', 'in_progress', '--json']);
    const finished = await api('PATCH', `/deployments/${running.id}`, {
      token: world.releaseManager.token,
      json: { status: 'failed' },
    });
    expect(finished.status).toBe(200);
    const done = await running.exited;
    expect(done.code).toBe(1);
    expect(JSON.parse(done.stdout)).toMatchObject({ id: running.id, status: 'failed' });
  });

  it('exits 2 when the deployment is not final by --timeout', async () => {
    await gate('dev', 1);
    const waiting = await deployWaiting('2.5.0', 'dev', ['--timeout', '2s']);
    const done = await waiting.exited;
    expect(done.code).toBe(2);
    expect(done.stderr).toContain(`deployment ${waiting.id} was not final after 2s`);
    const still = await api('GET', `/deployments/${waiting.id}`, { token: world.developer.token });
    expect(still.body.status).toBe('waiting');
    await gate('dev', 0);
  });
});

describe('watch', () => {
  it('prints each event of the repo once, in order, as it happens', async () => {
    const watching = start(['watch', repo], world.developer.token);
    // the watch starts at the feed's end when it is ready: release until it prints, then once more
    const made: string[] = [];
    for (let i = 0; !watching.out.stdout.includes('release.created'); i += 1) {
      const version = `3.0.${i}`;
      expect((await cli(['release', 'create', repo, version])).code).toBe(0);
      made.push(version);
      await sleep(100);
    }
    expect((await cli(['release', 'create', repo, '3.1.0'])).code).toBe(0);
    made.push('3.1.0');
    await until(() => watching.out.stdout.includes(' 3.1.0 '));
    watching.child.kill('SIGINT');
    await watching.exited;
    const printed = watching.out.stdout
      .trim()
      .split('\n')
      .map((line) => line.split(/\s+/));
    for (const line of printed) {
      expect(line).toEqual([expect.stringMatching(/Z$/), 'release.created', repo, expect.any(String), 'by', 'rm']);
    }
    const versions = printed.map((line) => line[3]);
    // a suffix of what was released, each once, in order, ending with the last
    expect(versions).toEqual(made.slice(made.length - versions.length));
  }, 30_000);
});
