#!/usr/bin/env node
// npm start: build the server if its sources changed (scripts/lib/buildServer.mjs), prepare the database
// (server/prepare.ts; skipped with --serve-only, which needs DATABASE_URL), then serve (server/main.ts). One
// process: SIGINT or SIGTERM to it answers the requests in flight, then stops the pool and the embedded Postgres.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureServerBuild } from './lib/buildServer.mjs';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const say = (line) => console.log(`[gitweave] ${line}`);
const serveOnly = process.argv.includes('--serve-only');

let database;
let running;
let stopping = false;
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  try {
    await running?.stop();
  } finally {
    await database?.stop();
    process.exit(code);
  }
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  const bundles = await ensureServerBuild();
  if (!serveOnly) {
    const { prepare } = await import(pathToFileURL(bundles.prepare).href);
    database = await prepare(say);
    // the handlers read it from the environment, as on Lambda; set before their modules load
    process.env.DATABASE_URL = database.url;
  }
  const { serve } = await import(pathToFileURL(bundles.main).href);
  running = await serve(ROOT);
  say(`serving the API on ${running.url} (Ctrl-C stops it)`);
} catch (err) {
  console.error(`[gitweave] cannot start: ${err instanceof Error ? err.message : String(err)}`);
  await shutdown(1);
}
