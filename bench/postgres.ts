/**
 * The bench's Postgres: BENCH_DATABASE_URL, else an embedded cluster of its own under ./data/bench-postgres on
 * BENCH_PG_PORT. Every measurement runs on the cluster exactly as npm start runs its embedded one
 * (scripts/lib/database startEmbedded without `fast`: fsync on, default logging). Only the bulk seeding runs with
 * `fast` (fsync off); the cluster is then checkpointed, flushed to disk and restarted without it.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { type Database, startEmbedded } from '../scripts/lib/database';
import { ROOT } from './doors';
import { postgresPids } from './load';

const external = process.env.BENCH_DATABASE_URL || undefined;

export const EMBEDDED = {
  dataDir: path.join(ROOT, 'data', 'bench-postgres'),
  port: Number(process.env.BENCH_PG_PORT || 54349),
  database: 'gitweave_bench',
};

export interface BenchDatabase extends Database {
  kind: 'embedded' | 'BENCH_DATABASE_URL';
  /** the postmaster and its children ([] for an external database) */
  pids(): number[];
}

/** Starts the bench's Postgres: with `fast` for seeding only, never for a measurement. */
export async function openBenchDatabase(options: {
  fast: boolean;
  log: (line: string) => void;
}): Promise<BenchDatabase> {
  if (external) return { kind: 'BENCH_DATABASE_URL', url: external, stop: async () => undefined, pids: () => [] };
  const database = await startEmbedded({ ...EMBEDDED, fast: options.fast, log: options.log });
  return { ...database, kind: 'embedded', pids: () => postgresPids(EMBEDDED.dataDir) };
}

async function admin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Drops and recreates the embedded bench database (an external one keeps its data: seed() replaces the bench org). */
export async function resetEmbeddedDatabase(url: string): Promise<void> {
  if (external) return;
  const server = new URL(url);
  server.pathname = '/postgres';
  await admin(server.toString(), async (client) => {
    await client.query(`DROP DATABASE IF EXISTS "${EMBEDDED.database}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${EMBEDDED.database}"`);
  });
}

/**
 * After seeding with fsync off: checkpoint, have the OS write everything out, and restart the cluster as npm start
 * runs it, so no write-back of the seed competes with the measurements and fsync is on again.
 */
export async function restartForMeasuring(
  database: BenchDatabase,
  log: (line: string) => void,
): Promise<BenchDatabase> {
  if (database.kind !== 'embedded') return database;
  await admin(database.url, (client) => client.query('CHECKPOINT'));
  await database.stop();
  spawnSync('sync');
  return openBenchDatabase({ fast: false, log });
}

/** The settings that make a measurement like npm start's, as the running server has them. */
export async function settingsOf(url: string): Promise<Record<string, string>> {
  return admin(url, async (client) => {
    const { rows } = await client.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings
       WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'log_min_messages', 'shared_buffers')`,
    );
    return Object.fromEntries(rows.map((row) => [row.name, row.setting]));
  });
}
