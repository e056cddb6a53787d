#!/usr/bin/env node
// npm start: build the server if its sources changed (scripts/lib/buildServer.mjs), then what the packed release's
// `gitweave-releases serve` does (scripts/lib/run.mjs): prepare the database (skipped with --serve-only, which needs
// DATABASE_URL) and serve, one process that SIGINT or SIGTERM stops after answering the requests in flight.
import { ensureServerBuild } from './lib/buildServer.mjs';
import { run } from './lib/run.mjs';

await run(() => ensureServerBuild(), { serveOnly: process.argv.includes('--serve-only') });
