import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { type Database, startEmbedded } from '../../scripts/lib/database';
import { migrate } from '../../scripts/lib/migrate';
import { freePort } from '../../scripts/lib/net';
import { type Server, serve } from '../../scripts/lib/serve';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    artifactsDir: string;
    apiUrl: string;
  }
}

let database: Database | undefined;
let server: Server | undefined;
let artifactsDir: string | undefined;
let workFolder: string | undefined;

/**
 * The real parts every integration and end-to-end test uses: a Postgres (DATABASE_URL when set, else an embedded
 * cluster of the tests' own under ./data/test-postgres), migrated; a temporary artifacts volume; and the API
 * served over HTTP by serverless-offline, exactly as npm start serves it.
 */
export async function setup(project: TestProject) {
  database = process.env.DATABASE_URL
    ? { url: process.env.DATABASE_URL, stop: async () => undefined }
    : await startEmbedded({
        dataDir: path.join('data', 'test-postgres'),
        port: Number(process.env.EMBEDDED_PG_TEST_PORT || 54339),
        database: 'gitweave_test',
        fast: true,
      });
  await migrate(database.url);
  artifactsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gitweave-artifacts-'));
  const port = await freePort();
  workFolder = `.esbuild-test-${process.pid}`;
  server = await serve({
    databaseUrl: database.url,
    port,
    lambdaPort: await freePort(),
    env: {
      ARTIFACTS_DIR: artifactsDir,
      LOG_LEVEL: process.env.LOG_LEVEL || 'fatal',
      ESBUILD_WORK_FOLDER: workFolder,
    },
    output: process.env.DEBUG_OFFLINE ? 'inherit' : 'pipe',
  });
  // the server's own output, kept for when a run goes wrong (DEBUG_OFFLINE=1 shows it instead)
  if (server.child.stdout && server.child.stderr) {
    fs.mkdirSync('data', { recursive: true });
    const log = fs.createWriteStream(path.join('data', 'test-server.log'));
    // the log ends on 'close' (both pipes drained), not on either pipe's end: Node 24 ends stdout before 'exit'
    server.child.stdout.pipe(log, { end: false });
    server.child.stderr.pipe(log, { end: false });
    server.child.once('close', (code, signal) =>
      log.end(`\n[serverless-offline exited: code ${code}, signal ${signal}]\n`),
    );
  }
  project.provide('databaseUrl', database.url);
  project.provide('artifactsDir', artifactsDir);
  project.provide('apiUrl', server.url);
}

export async function teardown() {
  await server?.stop();
  await database?.stop();
  if (artifactsDir) fs.rmSync(artifactsDir, { recursive: true, force: true });
  if (workFolder) fs.rmSync(workFolder, { recursive: true, force: true });
}
