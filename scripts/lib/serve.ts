import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from './net';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SERVERLESS = createRequire(import.meta.url).resolve('serverless/bin/serverless.js');
const START = path.join(ROOT, 'scripts', 'start.mjs');

export interface Server {
  /** base URL of the API, e.g. http://127.0.0.1:3000/api/v1 */
  url: string;
  child: ChildProcess;
  /** stops the server (SIGINT, then SIGKILL after 10 s) */
  stop(): Promise<void>;
}

export interface ServeOptions {
  databaseUrl: string;
  /**
   * the HTTP port; by default the server listens on one the OS picks and prints it, which is read here (nothing else
   * can take it meanwhile); serverless-offline prints the port it was asked for, so it is given one that was free
   */
  port?: number;
  /** serverless-offline's Lambda invoke port; default port + 2, or one that was free when `port` is not given */
  lambdaPort?: number;
  /** extra environment for the functions (ARTIFACTS_DIR, LOG_LEVEL, ...) */
  env?: Record<string, string>;
  /** where serverless-offline's output goes; default: inherited */
  output?: 'inherit' | 'ignore' | 'pipe';
  /** how long to wait for /health to answer 200 */
  readyTimeoutMs?: number;
  /**
   * 'server' (default): the local-first server npm start runs (server/), one process; 'offline': serverless-offline,
   * the Lambda emulator of npm run dev
   */
  door?: 'server' | 'offline';
}

function command(options: ServeOptions & { port: number }): string[] {
  if (options.door === 'offline') {
    const lambdaPort = options.lambdaPort ?? options.port + 2;
    return [
      SERVERLESS,
      'offline',
      'start',
      '--httpPort',
      String(options.port),
      '--lambdaPort',
      String(lambdaPort),
      '--noSponsor',
    ];
  }
  return [START, '--serve-only'];
}

/** The line npm start's server prints once it listens (scripts/lib/run.mjs), with the URL it serves on. */
const SERVING = /\[gitweave\] serving the API on (http:\/\/\S+) /;

/**
 * Serves every function of serverless.yml over HTTP on an already migrated database, through the local-first
 * server (as `npm start` does) or serverless-offline (as `npm run dev` does), and resolves once
 * `GET /api/v1/health` answers 200.
 */
export async function serve(options: ServeOptions): Promise<Server> {
  const offline = options.door === 'offline';
  const port = options.port ?? (offline ? await freePort() : 0);
  const lambdaPort = options.lambdaPort ?? (offline && options.port === undefined ? await freePort() : undefined);
  const output = options.output ?? 'inherit';
  // the server's output is read for the port it prints, then passed on as asked
  const readPort = !offline && port === 0;
  const child = spawn(process.execPath, command({ ...options, port, lambdaPort }), {
    cwd: ROOT,
    stdio: ['ignore', readPort ? 'pipe' : output, readPort ? 'pipe' : output],
    env: {
      ...process.env,
      ...options.env,
      DATABASE_URL: options.databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
      SLS_DEPRECATION_DISABLE: '*',
      // serverless-offline's two lines per request cost throughput and repeat our own JSON access log
      SLS_LOG_LEVEL: process.env.SLS_LOG_LEVEL ?? 'warning',
    },
  });
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  // the last lines it printed, for the error when it dies before it is ready
  const tail: string[] = [];
  let printed = '';
  let url = readPort ? undefined : `http://127.0.0.1:${port}/api/v1`;
  for (const [stream, inherited] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ] as const) {
    stream?.on('data', (chunk: Buffer) => {
      if (readPort && output === 'inherit') inherited.write(chunk);
      tail.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      tail.splice(0, Math.max(0, tail.length - 20));
      if (url === undefined && stream === child.stdout) {
        printed += chunk.toString('utf8');
        url = SERVING.exec(printed)?.[1];
      }
    });
  }
  const stop = async () => {
    if (exited !== undefined) return;
    const done = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await done;
    clearTimeout(timer);
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000);
  while (Date.now() < deadline) {
    if (exited !== undefined)
      throw new Error(`the server exited with code ${exited} before it was ready:\n${tail.join('\n')}`);
    if (url !== undefined) {
      try {
        const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
        if (response.status === 200) return { url, child, stop };
      } catch {
        // not listening yet
      }
    }
    await sleep(url === undefined ? 50 : 200);
  }
  await stop();
  throw new Error(
    `the server did not answer ${url ?? 'on any port'}/health within ${options.readyTimeoutMs ?? 120_000} ms`,
  );
}
