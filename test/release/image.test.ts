import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/lib/net';
import { NODE, processTree, type Running, runBin, serveRelease } from '../helpers/release';

// What the image does, without a container runtime: the Dockerfile's two steps are scripts/image-steps.sh, run here
// as the Dockerfile runs them, in a clean copy of the sources (the files git knows, as COPY . . sees them past
// .dockerignore), offline (tests never leave loopback: npm takes what npm ci left in its cache).
const exec = promisify(execFile);
const ROOT = process.cwd();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gitweave-image-'));
fs.chmodSync(work, 0o755); // as root, the embedded Postgres runs as the postgres user
const src = path.join(work, 'src');
const out = path.join(work, 'out');
const opt = path.join(work, 'opt', 'gitweave-releases');
const data = path.join(work, 'data');
const npmEnv = { ...process.env, npm_config_offline: 'true', PATH: `${path.dirname(NODE)}:${process.env.PATH}` };
let server: Running | undefined;

/** The Dockerfile's run stage's ENV, as the image sets it. */
function imageEnv(): Record<string, string> {
  const dockerfile = fs.readFileSync('Dockerfile', 'utf8').replace(/\\\n\s*/g, ' ');
  const line = dockerfile.split('\n').find((entry) => entry.startsWith('ENV NODE_ENV')) ?? '';
  return Object.fromEntries(
    [...line.matchAll(/(\w+)=(\S+)/g)].map(([, name, value]) => [name as string, value as string]),
  );
}

afterAll(async () => {
  await server?.stop();
  fs.rmSync(work, { recursive: true, force: true }); // the copy's node_modules: minutes on a busy machine
}, 600_000);

describe("the image's steps (scripts/image-steps.sh), in a clean directory", () => {
  it('builds the tarball with the development dependencies, installs it with the production dependencies its lockfile names, and serves as the image does', async () => {
    const { stdout } = await exec('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: ROOT,
      maxBuffer: 64 * 1024 * 1024,
    });
    for (const file of stdout.split('\0').filter(Boolean)) {
      if (!fs.existsSync(path.join(ROOT, file))) continue; // deleted in the work tree
      fs.mkdirSync(path.dirname(path.join(src, file)), { recursive: true });
      fs.copyFileSync(path.join(ROOT, file), path.join(src, file));
    }
    const steps = path.join(src, 'scripts', 'image-steps.sh');
    await exec('sh', [steps, 'build', src, out], {
      env: { ...npmEnv, GITWEAVE_COMMIT: 'c0ffee' },
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(fs.readdirSync(out).sort()).toEqual(['gitweave-releases.tgz', 'package-lock.json', 'releaseLock.mjs']);
    await exec(
      'sh',
      [steps, 'install', path.join(out, 'gitweave-releases.tgz'), path.join(out, 'package-lock.json'), opt],
      {
        env: npmEnv,
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    expect(fs.existsSync(path.join(opt, 'node_modules', 'esbuild'))).toBe(false);
    expect(
      JSON.parse(fs.readFileSync(path.join(opt, 'node_modules/gitweave-releases/dist/manifest.json'), 'utf8')),
    ).toMatchObject({ commit: 'c0ffee' });

    // the run stage: its ENV (on loopback here), its ENTRYPOINT and CMD (gitweave-releases serve), its HEALTHCHECK
    const image = imageEnv();
    expect(image).toMatchObject({ DATA_DIR: '/data', ARTIFACTS_DIR: '/data/artifacts', PORT: '3000' });
    const port = await freePort();
    const { DATABASE_URL: _database, ...inherited } = process.env;
    const env = {
      ...inherited,
      ...image,
      DATA_DIR: data,
      ARTIFACTS_DIR: path.join(data, 'artifacts'),
      HOST: '127.0.0.1',
      PORT: String(port),
      EMBEDDED_PG_PORT: String(await freePort()),
      PATH: `${path.join(opt, 'node_modules', '.bin')}:${process.env.PATH}`,
    };
    server = await serveRelease(opt, env, port);
    expect(processTree(server.child.pid ?? 0).filter((entry) => /\bnpm\b|npm-cli/.test(entry.command))).toEqual([]);
    const dockerfile = fs.readFileSync('Dockerfile', 'utf8').replace(/\\\n\s*/g, ' ');
    const healthcheck = JSON.parse(/HEALTHCHECK .*?CMD (\[.*\])/.exec(dockerfile)?.[1] ?? '[]') as string[];
    expect(healthcheck.slice(0, 2)).toEqual(['node', '-e']);
    await expect(exec(NODE, healthcheck.slice(1), { env })).resolves.toBeDefined();
    expect(await runBin(opt, 'gitweave-release', ['--version'], env)).toMatchObject({ code: 0 });
    expect(await server.stop()).toBe(0);
    server = undefined;
    // with the server gone the health check fails, as the image's would
    await expect(exec(NODE, healthcheck.slice(1), { env })).rejects.toBeDefined();
  }, 1_200_000);
});
