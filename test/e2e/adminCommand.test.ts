import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';

const exec = promisify(execFile);

/** The admin command as `npm run -s admin --` runs it, on the run's database. */
async function admin(...args: string[]) {
  const { stdout } = await exec(process.execPath, ['--import', 'tsx', 'scripts/admin.ts', ...args], {
    env: { ...process.env, DATABASE_URL: inject('databaseUrl'), LOG_LEVEL: 'fatal' },
  });
  return stdout;
}

/** stdout must be exactly one JSON object (one line, nothing else). */
function oneObject(stdout: string) {
  expect(stdout.trim().split('\n')).toHaveLength(1);
  const value = JSON.parse(stdout);
  expect(value).toBeTypeOf('object');
  return value;
}

describe('the admin command', () => {
  it('creates an org, a repo and a user, and revokes the token, each printing one JSON object', async () => {
    const slug = `adm-${randomBytes(4).toString('hex')}`;
    const org = oneObject(await admin('org', 'create', slug));
    expect(org).toMatchObject({ id: expect.any(String), slug });
    const repo = oneObject(await admin('repo', 'create', slug, 'web'));
    expect(repo).toMatchObject({ id: expect.any(String), orgId: org.id, name: 'web' });
    const user = oneObject(await admin('user', 'create', 'alice', '--org', slug, '--role', 'developer'));
    expect(user).toMatchObject({ id: expect.any(String), token: expect.stringMatching(/^gwr_[A-Za-z0-9_-]{43}$/) });
    expect(oneObject(await admin('token', 'revoke', user.token))).toEqual({ revoked: true });
  }, 60_000);

  it('creates a scoped, expiring token for a user, lists it without its secret, revokes it by id, and refuses bad scopes', async () => {
    const slug = `adm-${randomBytes(4).toString('hex')}`;
    oneObject(await admin('org', 'create', slug));
    const user = oneObject(await admin('user', 'create', 'bob', '--org', slug, '--role', 'developer'));
    const expires = new Date(Date.now() + 86_400_000).toISOString();
    const args = ['token', 'create', user.id, '--scopes', 'deploy,read', '--expires', expires, '--name', 'ci'];
    const token = oneObject(await admin(...args));
    expect(token).toEqual({
      id: expect.any(String),
      token: expect.stringMatching(/^gwr_/),
      name: 'ci',
      scopes: ['read', 'deploy'],
      expiresAt: expires,
    });
    const listed = oneObject(await admin('token', 'list', user.id));
    expect(listed.items.map((item: { id: string; scopes: string[] }) => [item.id, item.scopes])).toEqual([
      [token.id, ['read', 'deploy']],
      [expect.any(String), ['read', 'release', 'deploy', 'admin']],
    ]);
    expect(JSON.stringify(listed)).not.toContain('gwr_');
    expect(oneObject(await admin('token', 'revoke', token.id))).toEqual({ revoked: true });
    expect(oneObject(await admin('token', 'list', user.id)).items).toHaveLength(1);
    const refused = await admin('token', 'create', user.id, '--scopes', 'admin').then(
      () => null,
      (err: { code: number; stderr: string }) => err,
    );
    expect(refused?.code).toBe(2);
    expect(refused?.stderr).toContain('admin needs the release_manager role in an org, which the user lacks');
  }, 60_000);
});
