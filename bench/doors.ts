/**
 * The servers the bench compares, all on the same database in the same run: the two doors of the API (door
 * 'server', what npm start serves, and door 'offline', serverless-offline) through scripts/lib/serve, and the
 * two reference servers of bench/reference (naive: node:http + pg; bare: node:http + lib/) as child processes.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../scripts/lib/net';
import { serve } from '../scripts/lib/serve';
import { spawnGroup, untilAnswers } from './procs';

export const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

export type DoorName = 'server' | 'offline' | 'naive' | 'bare';

export interface Door {
  name: DoorName;
  /** http://127.0.0.1:<port> */
  origin: string;
  /** the process whose CPU time is the server's */
  pid: number | undefined;
  /** the last lines it wrote, for a failure report */
  output: string[];
  stop(): Promise<void>;
}

/** Keeps a piped stream drained (a full pipe stalls the server) and its last lines. */
function drain(stream: NodeJS.ReadableStream | null | undefined, lines: string[]): void {
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    lines.push(...chunk.split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - 40));
  });
}

/** One door of the API, served as npm start serves it (env: ARTIFACTS_DIR and the like). */
export async function openDoor(
  door: 'server' | 'offline',
  databaseUrl: string,
  env: Record<string, string>,
): Promise<Door> {
  const server = await serve({
    door,
    databaseUrl,
    port: await freePort(),
    lambdaPort: await freePort(),
    env: { ...env, ESBUILD_WORK_FOLDER: '.esbuild-bench' },
    output: 'pipe',
  });
  const output: string[] = [];
  drain(server.child.stdout, output);
  drain(server.child.stderr, output);
  return { name: door, origin: new URL(server.url).origin, pid: server.child.pid, output, stop: () => server.stop() };
}

/** A reference server of bench/reference, run with tsx on a free port. */
export async function openReference(name: 'naive' | 'bare', databaseUrl: string): Promise<Door> {
  const port = await freePort();
  const group = spawnGroup(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', 'reference', `${name}.ts`)], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), LOG_LEVEL: 'warn' },
  });
  const origin = `http://127.0.0.1:${port}`;
  let exited = false;
  group.child.once('exit', () => {
    exited = true;
  });
  try {
    await untilAnswers(`${origin}/api/v1/health`, performance.now(), 60_000, () => !exited);
  } catch (err) {
    await group.stop();
    throw new Error(`the ${name} reference did not start: ${String(err)}\n${group.output.join('\n')}`);
  }
  return { name, origin, pid: group.child.pid, output: group.output, stop: group.stop };
}
