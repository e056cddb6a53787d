/**
 * The database's own limit for each read: pgbench running the read's statements (statements.ts, token lookup
 * included) as a custom script, over the simple and the prepared protocol, at the same concurrency as the HTTP
 * load. The ids are fixed per run (one release, one deployment) where the HTTP load rotates over 1,000.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hashToken } from '../lib/domain/identity';
import { READS, type Read } from './reference/statements';
import type { Seeded } from './seed';

export interface PgbenchResult {
  simpleTps: number | null;
  preparedTps: number | null;
  error?: string;
}

const CANDIDATES = [
  process.env.PGBENCH,
  'pgbench',
  ...(fs.existsSync('/usr/lib/postgresql')
    ? fs.readdirSync('/usr/lib/postgresql').map((v) => `/usr/lib/postgresql/${v}/bin/pgbench`)
    : []),
];

/** A pgbench that runs, with its version line, or null. */
export function findPgbench(): { bin: string; version: string } | null {
  for (const bin of CANDIDATES) {
    if (!bin) continue;
    const run = spawnSync(bin, ['--version'], { encoding: 'utf8' });
    if (run.status === 0) return { bin, version: run.stdout.trim() };
  }
  return null;
}

function tps(bin: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      out += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      const match = /tps = ([\d.]+) \(without initial connection time\)/.exec(out);
      if (code === 0 && match) resolve(Math.round(Number(match[1])));
      else reject(new Error(`pgbench exited ${code}: ${out.split('\n').slice(-5).join(' | ')}`));
    });
  });
}

/**
 * Runs each read's script for `durationS` at `clients` connections, simple then prepared. In simple mode pgbench
 * pastes a variable's text into the statement, so there the values are quoted literals; prepared mode binds them.
 */
export async function pgbenchReads(
  bin: string,
  databaseUrl: string,
  data: Seeded,
  options: { clients: number; durationS: number; log: (line: string) => void },
): Promise<Record<Read, PgbenchResult>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gitweave-pgbench-'));
  const { big } = data.repos;
  const values: Record<string, string> = {
    hash: `\\x${hashToken(data.token).toString('hex')}`,
    repo: big,
    org: data.orgId,
    user: data.userId,
    release: data.bigReleaseIds[0]!,
    deployment: data.deploymentIds[0]!,
    limit: '21',
    shown: '20',
  };
  const results = {} as Record<Read, PgbenchResult>;
  try {
    for (const [read, statements] of Object.entries(READS) as Array<[Read, string[]]>) {
      // getLatestRelease's last statement reads :release, the sampled release, where the API reads the latest: same plan
      const script = path.join(dir, `${read}.sql`);
      fs.writeFileSync(script, `${statements.map((s) => `${s};`).join('\n')}\n`);
      const run = (mode: 'simple' | 'prepared') => {
        const defines = Object.entries(values).flatMap(([name, value]) => [
          '-D',
          `${name}=${mode === 'simple' && !/^\d+$/.test(value) ? `'${value}'` : value}`,
        ]);
        const args = ['-n', '-c', String(options.clients), '-j', '2', '-T', String(Math.ceil(options.durationS))];
        return tps(bin, [...args, '-M', mode, '-f', script, ...defines, databaseUrl]);
      };
      const result: PgbenchResult = { simpleTps: null, preparedTps: null };
      try {
        result.simpleTps = await run('simple');
        result.preparedTps = await run('prepared');
      } catch (err) {
        result.error = err instanceof Error ? err.message : String(err);
      }
      options.log(
        `pgbench ${read}: simple ${result.simpleTps} tps, prepared ${result.preparedTps} tps${result.error ? ` (${result.error})` : ''}`,
      );
      results[read] = result;
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
