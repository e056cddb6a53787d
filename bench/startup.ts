/**
 * Restart: how soon a server on an existing data directory answers GET /health, median of several.
 * - server: from the spawn of the server process (scripts/lib/serve, door 'server') on the bench database;
 * - npm start: from the spawn of `npm start` with DATABASE_URL set to the bench database (no Postgres to start);
 * - embedded: `node scripts/start.mjs` in a scratch directory under ./data (the postgres user must be able to enter it), DATABASE_URL unset, so it starts (after a first,
 *   unmeasured start that initialises it) its own embedded Postgres under that directory's data/postgres.
 */
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../scripts/lib/net';
import { serve } from '../scripts/lib/serve';
import { ROOT } from './doors';
import { spawnGroup, untilAnswers } from './procs';

export interface Startup {
  /** ms until /health answered, each run */
  serverMs: number[];
  npmStartMs: number[];
  embeddedMs: number[] | null;
  embeddedError?: string;
}

export const median = (values: number[]): number | null => {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** `npm start` (or a command like it) on a free port, timed from its spawn to its first 200 on /health. */
export async function timeStart(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const group = spawnGroup(command, args, { cwd: options.cwd, env: { ...options.env, PORT: String(port) } });
  let exited = false;
  group.child.once('exit', () => {
    exited = true;
  });
  try {
    return await untilAnswers(
      `http://127.0.0.1:${port}/api/v1/health`,
      started,
      options.timeoutMs ?? 120_000,
      () => !exited,
    );
  } catch (err) {
    throw new Error(`${command} ${args.join(' ')}: ${String(err)}\n${group.output.join('\n')}`);
  } finally {
    await group.stop();
  }
}

/** The environment of an `npm start` on the bench database, logging as npm start does by default. */
export function npmStartEnv(databaseUrl: string | undefined, artifactsDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ARTIFACTS_DIR: artifactsDir };
  for (const name of ['DATABASE_URL', 'LOG_LEVEL', 'EMBEDDED_PG_PORT', 'PORT']) delete env[name];
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  return env;
}

/** `npm start` on the bench's database on a free port, resolved once it answers /health. */
export async function startNpm(
  databaseUrl: string,
  artifactsDir: string,
): Promise<{ origin: string; group: ReturnType<typeof spawnGroup> }> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const group = spawnGroup('npm', ['start'], {
    cwd: ROOT,
    env: { ...npmStartEnv(databaseUrl, artifactsDir), PORT: String(port) },
  });
  try {
    await untilAnswers(`${origin}/api/v1/health`, performance.now(), 120_000, () => group.child.exitCode === null);
  } catch (err) {
    await group.stop();
    throw err;
  }
  return { origin, group };
}

export async function measureStartup(
  databaseUrl: string,
  artifactsDir: string,
  options: { runs: number; embedded: boolean; log: (line: string) => void },
): Promise<Startup> {
  const serverMs: number[] = [];
  for (let i = 0; i < options.runs; i++) {
    const port = await freePort();
    const started = performance.now();
    const serving = serve({
      door: 'server',
      databaseUrl,
      port,
      env: { ARTIFACTS_DIR: artifactsDir },
      output: 'ignore',
    });
    const ms = await untilAnswers(`http://127.0.0.1:${port}/api/v1/health`, started, 120_000);
    await (await serving).stop();
    serverMs.push(Math.round(ms));
  }
  options.log(`restart, server process: ${serverMs.join(', ')} ms`);
  const npmStartMs: number[] = [];
  const env = npmStartEnv(databaseUrl, artifactsDir);
  for (let i = 0; i < options.runs; i++)
    npmStartMs.push(Math.round(await timeStart('npm', ['start'], { cwd: ROOT, env })));
  options.log(`restart, npm start (DATABASE_URL set): ${npmStartMs.join(', ')} ms`);
  const result: Startup = { serverMs, npmStartMs, embeddedMs: null };
  if (!options.embedded) return result;
  fs.mkdirSync(path.join(ROOT, 'data'), { recursive: true });
  const scratch = fs.mkdtempSync(path.join(ROOT, 'data', 'bench-start-'));
  fs.chmodSync(scratch, 0o755);
  try {
    const node = process.execPath;
    const start = path.join(ROOT, 'scripts', 'start.mjs');
    const embeddedEnv = {
      ...npmStartEnv(undefined, path.join(scratch, 'artifacts')),
      EMBEDDED_PG_PORT: String(await freePort()),
    };
    await timeStart(node, [start], { cwd: scratch, env: embeddedEnv, timeoutMs: 300_000 }); // initdb, first org
    const embeddedMs: number[] = [];
    for (let i = 0; i < Math.min(3, options.runs); i++) {
      embeddedMs.push(Math.round(await timeStart(node, [start], { cwd: scratch, env: embeddedEnv })));
    }
    result.embeddedMs = embeddedMs;
    options.log(`restart, embedded Postgres: ${embeddedMs.join(', ')} ms`);
  } catch (err) {
    // the first line says what failed, the last lines of its output why
    const lines = (err instanceof Error ? err.message : String(err)).split('\n');
    result.embeddedError = [lines[0], ...lines.slice(-6)].join(' | ');
    options.log(`restart, embedded Postgres: not measured (${result.embeddedError})`);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return result;
}
