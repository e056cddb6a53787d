#!/usr/bin/env node
// npm run dev: the database prepared exactly as npm start prepares it (server/prepare.ts: DATABASE_URL or the
// embedded Postgres under $DATA_DIR/postgres, migrations, the first org), then serverless-offline, the Lambda
// emulator, on HOST:PORT with that DATABASE_URL (its Lambda invoke port is PORT + 2). SIGINT or SIGTERM stops the
// emulator, then the embedded Postgres this process started.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { ensureServerBuild } from './lib/buildServer.mjs';

const say = (line) => console.log(`[gitweave] ${line}`);
const SERVERLESS = createRequire(import.meta.url).resolve('serverless/bin/serverless.js');

let database;
let emulator;
let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  try {
    await database?.stop();
  } finally {
    process.exit(code);
  }
}

try {
  const { prepare: bundle } = await ensureServerBuild();
  const { prepare } = await import(pathToFileURL(bundle).href);
  database = await prepare(say);
  const port = Number(process.env.PORT || 3000);
  emulator = spawn(
    process.execPath,
    [SERVERLESS, 'offline', 'start', '--noSponsor', '--httpPort', String(port), '--lambdaPort', String(port + 2)],
    {
      stdio: 'inherit',
      env: {
        ...process.env,
        DATABASE_URL: database.url,
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
        SLS_DEPRECATION_DISABLE: '*',
        // the emulator runs each function as Lambda would, with no LISTEN to tell it of a revoked token
        AUTH_CACHE_TTL_MS: process.env.AUTH_CACHE_TTL_MS || '0',
      },
    },
  );
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => emulator.kill(signal));
  emulator.once('exit', (code, signal) => {
    if (!stopping) say(`serverless-offline ended (${signal ?? `code ${code}`})`);
    void stop(signal ? 0 : (code ?? 1));
  });
} catch (err) {
  console.error(`[gitweave] cannot start: ${err instanceof Error ? err.message : String(err)}`);
  emulator?.kill('SIGTERM');
  await stop(1);
}
