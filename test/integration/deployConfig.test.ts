import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';

const run = promisify(execFile);

/** The names of a zip's entries, from its central directory (a zip of under 64 K entries, no comment). */
function zipEntries(file: string): string[] {
  const zip = fs.readFileSync(file);
  const end = zip.length - 22;
  expect(zip.readUInt32LE(end)).toBe(0x06054b50); // the end-of-central-directory record
  const names: string[] = [];
  let at = zip.readUInt32LE(end + 16);
  for (let i = 0; i < zip.readUInt16LE(end + 10); i++) {
    expect(zip.readUInt32LE(at)).toBe(0x02014b50); // a central directory file header
    const nameLength = zip.readUInt16LE(at + 28);
    names.push(zip.toString('utf8', at + 46, at + 46 + nameLength));
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return names;
}

const packageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gitweave-package-'));
const workFolder = `.esbuild-package-${process.pid}`;
afterAll(() => {
  fs.rmSync(packageDir, { recursive: true, force: true });
  fs.rmSync(workFolder, { recursive: true, force: true });
});

describe('serverless package for the prod stage', () => {
  it('builds offline, on the current Lambda Node.js runtime, with the database and volume from parameters', async () => {
    await run(
      process.execPath,
      [
        'node_modules/serverless/bin/serverless.js',
        'package',
        '--stage',
        'prod',
        '--package',
        packageDir,
        '--param=databaseUrl=postgres://gitweave:secret@db.internal:5432/gitweave',
      ],
      {
        env: {
          ...process.env,
          SLS_TELEMETRY_DISABLED: '1',
          SLS_NOTIFICATIONS_MODE: 'off',
          ESBUILD_WORK_FOLDER: workFolder,
          DATABASE_URL: '',
        },
      },
    );
    const template = JSON.parse(
      fs.readFileSync(path.join(packageDir, 'cloudformation-template-update-stack.json'), 'utf8'),
    );
    const functions = Object.values(
      template.Resources as Record<
        string,
        {
          Type: string;
          Properties: {
            FunctionName: string;
            Handler: string;
            Runtime: string;
            Code: { S3Key: string };
            Environment: { Variables: object };
          };
        }
      >,
    ).filter((resource) => resource.Type === 'AWS::Lambda::Function');
    const declared = Object.keys(YAML.parse(fs.readFileSync('serverless.yml', 'utf8')).functions);
    expect(functions).toHaveLength(declared.length);
    for (const fn of functions) {
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      expect(fn.Properties.Environment.Variables).toMatchObject({
        DATABASE_URL: 'postgres://gitweave:secret@db.internal:5432/gitweave',
        ARTIFACTS_DIR: '/mnt/artifacts',
      });
    }

    // packaged individually: a zip per function, each function's code its own zip
    const zips = fs.readdirSync(packageDir).filter((file) => file.endsWith('.zip'));
    expect(zips.sort()).toEqual(declared.map((name) => `${name}.zip`).sort());
    const bundleOf = (handler: string) => handler.replace(/\.[^.]+$/, '.cjs'); // functions/health.handler
    const bundles = new Set(functions.map((fn) => bundleOf(fn.Properties.Handler)));
    expect(bundles.size).toBe(declared.length);
    for (const fn of functions) {
      const name = fn.Properties.FunctionName.replace(/^gitweave-releases-prod-/, '');
      expect(declared).toContain(name);
      expect(path.posix.basename(fn.Properties.Code.S3Key)).toBe(`${name}.zip`);
      // its own bundle, no other function's, and no source maps (nothing on Lambda reads them)
      const entries = zipEntries(path.join(packageDir, `${name}.zip`));
      expect(entries.filter((entry) => bundles.has(entry))).toEqual([bundleOf(fn.Properties.Handler)]);
      expect(entries.filter((entry) => entry.endsWith('.map'))).toEqual([]);
    }
  }, 300_000);
});

describe('docker-compose.yml', () => {
  const compose = YAML.parse(fs.readFileSync('docker-compose.yml', 'utf8'));

  it('runs Postgres of a pinned major with a health check on a named volume', () => {
    const postgres = compose.services.postgres;
    expect(postgres.image).toMatch(/^postgres:\d+$/);
    expect(postgres.healthcheck.test.join(' ')).toContain('pg_isready');
    expect(postgres.volumes[0]).toMatch(/^pgdata:/);
    expect(compose.volumes).toHaveProperty('pgdata');
  });

  it('runs the app from the image the Dockerfile builds, with DATABASE_URL, the volumes and port 3000', () => {
    const app = compose.services.app;
    expect(app.build.context).toBe('.');
    expect(app.command).toBeUndefined(); // the image's own ENTRYPOINT and CMD: gitweave-releases serve
    expect(app.environment.DATABASE_URL).toMatch(/^postgres:\/\/.+@postgres:5432\//);
    expect(app.environment.ARTIFACTS_DIR).toBe('/data/artifacts');
    expect(app.volumes).toEqual(expect.arrayContaining(['data:/data', 'artifacts:/data/artifacts']));
    expect(app.ports).toContain('3000:3000');
    expect(app.depends_on.postgres.condition).toBe('service_healthy');
  });

  it("lets docker stop's SIGTERM reach the server: an init as PID 1", () => {
    expect(compose.services.app.init).toBe(true);
  });
});

describe('Dockerfile', () => {
  const lines = fs
    .readFileSync('Dockerfile', 'utf8')
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .filter((line) => line.trim() && !line.startsWith('#'));
  const from = lines.filter((line) => line.startsWith('FROM '));
  const run = lines.slice(lines.indexOf(from[1] ?? ''));

  it('builds in one stage with the development dependencies and runs from the packed tarball on node:24-slim, with the dependencies its lockfile names', () => {
    expect(from).toEqual(['FROM node:24-slim AS build', 'FROM node:24-slim']);
    expect(lines).toContain('RUN sh scripts/image-steps.sh build /src /out');
    expect(run.join('\n')).toContain(
      'image-steps.sh install /tmp/release/gitweave-releases.tgz /tmp/release/package-lock.json /opt/gitweave-releases',
    );
    expect(run.join('\n')).toContain('COPY --from=build /src/scripts/image-steps.sh /out/ /tmp/release/');
  });

  it('runs as an unprivileged user, in exec form, with a health check on /api/v1/health and volumes for the data', () => {
    expect(run).toContain('USER node');
    expect(run.find((line) => line.startsWith('ENTRYPOINT'))).toBe('ENTRYPOINT ["gitweave-releases"]');
    expect(run.find((line) => line.startsWith('CMD'))).toBe('CMD ["serve"]');
    const health = run.find((line) => line.startsWith('HEALTHCHECK')) ?? '';
    expect(health).toMatch(/CMD \["node", "-e", ".*\/api\/v1\/health/);
    expect(run).toContain('VOLUME ["/data", "/data/artifacts"]');
    expect(run.join('\n')).toMatch(/DATA_DIR=\/data/);
  });
});
