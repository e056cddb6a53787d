import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { type Database, startEmbedded } from '../../scripts/lib/database';
import { migrate } from '../../scripts/lib/migrate';
import { type Server, serve } from '../../scripts/lib/serve';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    artifactsDir: string;
    gitReposDir: string;
    apiUrl: string;
  }
}

interface World {
  database: Database;
  artifactsDir: string;
  /** GIT_REPOS_DIR of the run: tests make bare repositories there as <org slug>/<repo name>.git */
  gitReposDir: string;
}

// one database and one volume for every project of the run, however many projects set up (see teardown)
let world: Promise<World> | undefined;
let users = 0;

/**
 * A database of this run's own on DATABASE_URL's server, dropped at its end: no run sees what another left (a
 * pending webhook delivery of an old run would be sent by this one's deliverers), and two runs never share one.
 */
async function runDatabase(serverUrl: string): Promise<Database> {
  const name = `gitweave_run_${randomBytes(6).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.href, stop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

async function openWorld(): Promise<World> {
  const database = process.env.DATABASE_URL
    ? await runDatabase(process.env.DATABASE_URL)
    : await startEmbedded({
        dataDir: path.join('data', 'test-postgres'),
        port: Number(process.env.EMBEDDED_PG_TEST_PORT || 54339),
        database: 'gitweave_test',
        fast: true,
      });
  await migrate(database.url);
  const artifactsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gitweave-artifacts-'));
  const gitReposDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gitweave-git-'));
  return { database, artifactsDir, gitReposDir };
}

/** The door e2e and browser tests go through: npm start's server, or serverless-offline with E2E_DOOR=offline. */
function door(): 'server' | 'offline' {
  const value = process.env.E2E_DOOR ?? 'server';
  if (value !== 'server' && value !== 'offline') throw new Error(`E2E_DOOR must be server or offline, got ${value}`);
  return value;
}

async function startServer(project: TestProject, shared: World): Promise<Server> {
  const workFolder = `.esbuild-test-${process.pid}-${project.name}`;
  const server = await serve({
    door: door(),
    databaseUrl: shared.database.url,
    env: {
      ARTIFACTS_DIR: shared.artifactsDir,
      GIT_REPOS_DIR: shared.gitReposDir,
      LOG_LEVEL: process.env.LOG_LEVEL || 'fatal',
      ESBUILD_WORK_FOLDER: workFolder,
      // this server shares its database with the integration tests, whose webhooks must not be sent by anyone:
      // the tests of delivery run deliverers (and servers) of their own, on databases of their own
      WEBHOOK_DELIVERER: 'false',
      // serverless-offline gives each function's bundle its own identity cache and nothing there LISTENs (as on
      // Lambda, where AUTH_CACHE_TTL_MS bounds a revoke); npm run dev runs with the cache off, and so do these tests
      ...(door() === 'offline' ? { AUTH_CACHE_TTL_MS: '0' } : {}),
    },
    output: process.env.DEBUG_SERVER ? 'inherit' : 'pipe',
  });
  // the server's own output, kept for when a run goes wrong (DEBUG_SERVER=1 shows it instead)
  if (!process.env.DEBUG_SERVER && server.child.stdout && server.child.stderr) {
    fs.mkdirSync('data', { recursive: true });
    const log = fs.createWriteStream(path.join('data', `test-server-${project.name}.log`));
    // the log ends on 'close' (both pipes drained), not on either pipe's end: Node 24 ends stdout before 'exit'
    server.child.stdout.pipe(log, { end: false });
    server.child.stderr.pipe(log, { end: false });
    server.child.once('close', (code, signal) => log.end(`\n[server exited: code ${code}, signal ${signal}]\n`));
  }
  return {
    ...server,
    stop: async () => {
      await server.stop();
      fs.rmSync(workFolder, { recursive: true, force: true });
    },
  };
}

/**
 * The real parts the tests use: a Postgres (a database of the run's own on DATABASE_URL's server when it is set,
 * else an embedded cluster of the tests' own under ./data/test-postgres), migrated; a temporary artifacts volume; and, for e2e and browser tests, the API
 * served over HTTP by the door under test. Returns the teardown.
 */
export default async function setup(project: TestProject) {
  users++;
  world ??= openWorld();
  let shared: World;
  let server: Server | undefined;
  try {
    shared = await world;
    server = ['integration', 'release'].includes(project.name) ? undefined : await startServer(project, shared);
  } catch (err) {
    // vitest 4 reports a failed global setup, then exits 0 with the project's tests unrun: make the run fail
    process.once('exit', () => {
      process.exitCode = 1;
    });
    throw err;
  }
  project.provide('databaseUrl', shared.database.url);
  project.provide('artifactsDir', shared.artifactsDir);
  project.provide('gitReposDir', shared.gitReposDir);
  project.provide('apiUrl', server?.url ?? '');
  return async () => {
    await server?.stop();
    if (--users > 0) return;
    world = undefined;
    await shared.database.stop();
    fs.rmSync(shared.artifactsDir, { recursive: true, force: true });
    fs.rmSync(shared.gitReposDir, { recursive: true, force: true });
  };
}
