import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import semver from 'semver';
import { beforeAll, describe, expect, it } from 'vitest';
import { api } from '../helpers/api';

const exec = promisify(execFile);
const CLI = 'bin/gitweave-release.mjs';
const { version } = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string };

beforeAll(async () => {
  // npm ci's prepare step builds the CLI; build it here too when a developer skipped that
  if (!fs.existsSync(CLI)) await exec('npm', ['run', '-s', 'build:cli']);
}, 60_000);

describe("the project's own version, one string everywhere", () => {
  it('is a SemVer version with its section in CHANGELOG.md, under the Unreleased one', () => {
    expect(semver.valid(version)).toBe(version);
    const headings = fs
      .readFileSync('CHANGELOG.md', 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('## '));
    expect(headings[0]).toBe('## [Unreleased]');
    expect(headings).toContainEqual(
      expect.stringMatching(new RegExp(`^## \\[${version.replace(/\./g, '\\.')}\\] - \\d{4}-\\d{2}-\\d{2}$`)),
    );
  });

  it('is what /api/v1/health answers', async () => {
    const res = await api('GET', '/health');
    expect(res).toMatchObject({ status: 200, body: { status: 'ok', version } });
  });

  it("is what the CLI's --version prints, with no URL or token needed", async () => {
    const env = { ...process.env, GITWEAVE_URL: '', GITWEAVE_TOKEN: '' };
    const { stdout } = await exec(process.execPath, [CLI, '--version'], { env });
    expect(stdout).toBe(`${version}\n`);
    const json = await exec(process.execPath, [CLI, '--version', '--json'], { env });
    expect(JSON.parse(json.stdout)).toEqual({ version });
  });
});
