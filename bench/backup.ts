/**
 * npm run bench:backup [-- --scale=0.1] [-- --files] [-- --keep | --source=URL]
 *
 * Backup and restore with no client tools (scripts/lib/backup.ts, restore.ts: COPY through pg-copy-streams) against
 * pg_dump --format=custom and pg_restore --single-transaction of the same database, in the same run, on the server of
 * BENCH_DATABASE_URL (default DATABASE_URL; it must have pg_dump and pg_restore of its major in PG_BIN_DIR, default
 * /usr/lib/postgresql/<major>/bin). The data set is the bench's (bench/seed.ts: 100,000 releases and 1,000,000
 * deployments of the big repo, their events) times `scale`; every artifact row gets a small file of its own. Writes
 * bench/results/<date>-backup-<scale>.json and prints the times, the sizes and the ratios; it asserts nothing.
 * `--keep` keeps the seeded database and prints its URL; `--source=URL` measures that one again without seeding
 * (seeding the full set takes about 8 minutes); `--scale` must then say the size it was seeded at.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { backup } from '../scripts/lib/backup';
import { migrate } from '../scripts/lib/migrate';
import { restore } from '../scripts/lib/restore';
import { ROOT } from './doors';
import { FULL, type Sizes, seed } from './seed';

const say = (line: string) => process.stderr.write(`[bench:backup] ${line}\n`);
const { values: args } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    files: { type: 'boolean', default: false },
    // a database this bench seeded and prepared earlier (kept by --keep): measured again without seeding it
    source: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const scale = Number(args.scale);
const serverUrl = process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL;
if (!serverUrl) throw new Error('set BENCH_DATABASE_URL or DATABASE_URL to a server with its pg_dump and pg_restore');

const sizes: Sizes = {
  ...FULL,
  bigReleases: Math.round(FULL.bigReleases * scale),
  bigDeployments: Math.round(FULL.bigDeployments * scale),
  smallReleases: Math.round(FULL.smallReleases * scale),
  hotDeployments: Math.round(FULL.hotDeployments * scale),
  otherReleases: Math.max(1, Math.round(FULL.otherReleases * scale)),
};

async function query<T>(url: string, statement: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(statement)).rows as T[];
  } finally {
    await client.end();
  }
}

const made: string[] = [];
async function newDatabase(): Promise<string> {
  const name = `gw_bench_backup_${randomBytes(4).toString('hex')}`;
  await query(serverUrl as string, `CREATE DATABASE ${name}`);
  made.push(name);
  const url = new URL(serverUrl as string);
  url.pathname = `/${name}`;
  return url.toString();
}

function sizeOf(target: string): number {
  const stat = fs.statSync(target);
  if (!stat.isDirectory()) return stat.size;
  return fs.readdirSync(target).reduce((sum, name) => sum + sizeOf(path.join(target, name)), 0);
}

async function timed<T>(work: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: Math.round(performance.now() - started), value };
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gitweave-bench-backup-'));
try {
  const source = args.source ?? (await newDatabase());
  if (args.keep) made.pop();
  const content = Buffer.alloc(64, 'a');
  if (!args.source) {
    await migrate(source);
    const seeded = await timed(() => seed(source, sizes, { reuse: false, log: say }));
    say(`seeded in ${seeded.ms} ms`);
    // the database against pg_dump's: every artifact row names one small file (the files' copying is not pg_dump's
    // work; with --files each row gets a file of its own, each copied, hashed and flushed to disk)
    const sha256 = createHash('sha256').update(content).digest('hex');
    await query(source, `UPDATE artifacts SET size_bytes = ${content.length}, sha256 = '${sha256}'`);
    if (!args.files) await query(source, `UPDATE artifacts SET path = 'builds/bench/' || repo_id || '.bin'`);
    await query(source, 'VACUUM ANALYZE');
    if (args.keep) say(`kept the seeded database: --source=${source}`);
  }
  const artifactsDir = path.join(work, 'artifacts');
  const paths = await query<{ path: string }>(source, 'SELECT DISTINCT path FROM artifacts');
  for (const { path: relative } of paths) {
    fs.mkdirSync(path.join(artifactsDir, path.dirname(relative)), { recursive: true });
    fs.writeFileSync(path.join(artifactsDir, relative), content);
  }
  const counts = await query<{ releases: number; deployments: number; events: number }>(
    source,
    'SELECT (SELECT count(*) FROM releases)::int AS releases, (SELECT count(*) FROM deployments)::int AS deployments, (SELECT count(*) FROM events)::int AS events',
  );
  const num =
    (await query<{ num: number }>(source, "SELECT current_setting('server_version_num')::int AS num"))[0]?.num ?? 0;
  const bin = process.env.PG_BIN_DIR || `/usr/lib/postgresql/${Math.floor(num / 10_000)}/bin`;
  const libpq = (url: string) => {
    const parsed = new URL(url);
    const password = decodeURIComponent(parsed.password);
    parsed.password = '';
    return { dbname: parsed.toString(), env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) } };
  };

  const ours = path.join(work, 'ours');
  const oursBackup = await timed(() => backup(source, artifactsDir, ours));
  const dump = path.join(work, 'database.dump');
  const pgDump = await timed(() => {
    const { dbname, env } = libpq(source);
    execFileSync(
      path.join(bin, 'pg_dump'),
      ['--format=custom', '--no-owner', '--no-acl', `--file=${dump}`, `--dbname=${dbname}`],
      { env },
    );
  });
  const oursTarget = await newDatabase();
  const oursRestore = await timed(() => restore(oursTarget, path.join(work, 'restored-artifacts'), ours));
  const theirsTarget = await newDatabase();
  const pgRestore = await timed(() => {
    const { dbname, env } = libpq(theirsTarget);
    execFileSync(
      path.join(bin, 'pg_restore'),
      ['--no-owner', '--no-acl', '--exit-on-error', '--single-transaction', `--dbname=${dbname}`, dump],
      { env },
    );
  });
  const tablesBytes = oursBackup.value.tables.reduce((sum, table) => sum + table.sizeBytes, 0);
  const result = {
    date: new Date().toISOString(),
    scale,
    counts: counts[0],
    artifactFiles: paths.length,
    serverVersion: oursBackup.value.serverVersion,
    cpus: os.cpus().length,
    loadAverage: os.loadavg(),
    backup: { ms: oursBackup.ms, tablesBytes, folderBytes: sizeOf(ours) },
    pgDump: { ms: pgDump.ms, bytes: sizeOf(dump), note: 'database only: pg_dump copies no artifact files' },
    restore: { ms: oursRestore.ms },
    pgRestore: { ms: pgRestore.ms, note: 'database only' },
    ratios: {
      backupOverPgDump: Number((oursBackup.ms / pgDump.ms).toFixed(2)),
      restoreOverPgRestore: Number((oursRestore.ms / pgRestore.ms).toFixed(2)),
      tablesBytesOverDumpBytes: Number((tablesBytes / sizeOf(dump)).toFixed(2)),
    },
  };
  const file = path.join(
    ROOT,
    'bench',
    'results',
    `${result.date.slice(0, 10)}-backup-${scale}${args.files ? '-files' : ''}.json`,
  );
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
} finally {
  fs.rmSync(work, { recursive: true, force: true });
  for (const name of made)
    await query(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
}
