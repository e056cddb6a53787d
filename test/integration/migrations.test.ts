import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { MigrationChanged, migrate } from '../../scripts/lib/migrate';

// A landed migration is never edited: each applied migration's SHA-256 is recorded, and a database whose applied
// migrations are not this version's files is refused with one line naming the file. Each test runs on a database of
// its own, migrated from a copy of migrations/ that it then changes.
const exec = promisify(execFile);
const created: string[] = [];
let dir = '';
let url = '';

async function run(sql: string, target = inject('databaseUrl')) {
  const client = new pg.Client({ connectionString: target });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

beforeEach(async () => {
  const name = `gitweave_mig_${randomBytes(5).toString('hex')}`;
  await run(`CREATE DATABASE ${name}`);
  created.push(name);
  const target = new URL(inject('databaseUrl'));
  target.pathname = `/${name}`;
  url = target.href;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migrations-'));
  fs.cpSync('migrations', dir, { recursive: true });
  await migrate(url, () => undefined, dir);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
afterAll(async () => {
  for (const name of created) await run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
});

const refusal = () =>
  migrate(url, () => undefined, dir).then(
    () => 'applied',
    (err: Error) => err,
  );

describe('migrations', () => {
  it('records the SHA-256 of every migration it applies', async () => {
    const rows = await run('SELECT name, sha256 FROM pgmigrations_checksums ORDER BY name', url);
    const files = fs.readdirSync('migrations').filter((file) => file.endsWith('.sql'));
    expect(rows.map((row) => row.name)).toEqual(files.map((file) => file.replace(/\.sql$/, '')));
    expect(rows.every((row) => /^[0-9a-f]{64}$/.test(row.sha256))).toBe(true);
    expect(await migrate(url, () => undefined, dir)).toEqual([]);
  });

  it('refuses an applied migration that was edited, naming the file, and applies nothing', async () => {
    fs.appendFileSync(path.join(dir, '0014_events.sql'), '\n-- an afterthought\n');
    fs.writeFileSync(path.join(dir, '9999_later.sql'), 'CREATE TABLE later (id int);');
    const err = await refusal();
    expect(err).toBeInstanceOf(MigrationChanged);
    expect((err as Error).message).toMatch(
      /^migrations\/0014_events\.sql was changed after it was applied to this database \(sha256 [0-9a-f]{12}… then, [0-9a-f]{12}… now\): an applied migration is never edited; restore it and put the change in a new migration$/,
    );
    expect(await run("SELECT to_regclass('later') IS NULL AS absent", url)).toEqual([{ absent: true }]);
  });

  it('refuses an applied migration whose file is gone', async () => {
    fs.rmSync(path.join(dir, '0019_event_rendering.sql'));
    expect(((await refusal()) as Error).message).toBe(
      'migrations/0019_event_rendering.sql was applied to this database but is gone from this version: run the version that has it, or restore the file',
    );
  });

  it('refuses a new migration numbered before one that is applied', async () => {
    fs.writeFileSync(path.join(dir, '0002_skipped.sql'), 'SELECT 1;');
    expect(((await refusal()) as Error).message).toBe(
      'migrations/0002_skipped.sql comes before migrations that are already applied to this database, so it would never run: number it after the last applied one',
    );
  });

  it('records the migrations of a database migrated before checksums were kept, as they are', async () => {
    await run('DROP TABLE pgmigrations_checksums', url);
    expect(await migrate(url, () => undefined, dir)).toEqual([]);
    const [{ count }] = await run('SELECT count(*)::int FROM pgmigrations_checksums', url);
    expect(count).toBe(fs.readdirSync(dir).filter((file) => file.endsWith('.sql')).length);
  });

  it('stops the admin command with that one line', async () => {
    // the database says 0001 was applied with other contents: as if the file had been edited since
    await run(`UPDATE pgmigrations_checksums SET sha256 = repeat('0', 64) WHERE name = '0001_initial'`, url);
    const failed = await exec(process.execPath, ['--import', 'tsx', 'scripts/admin.ts', 'org', 'create', 'late'], {
      env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'fatal' },
    }).then(
      () => null,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).not.toBe(0);
    expect(failed?.stderr.trim()).toMatch(
      /^error: migrations\/0001_initial\.sql was changed after it was applied to this database \(sha256 000000000000… then, [0-9a-f]{12}… now\): an applied migration is never edited; restore it and put the change in a new migration$/,
    );
  });
});
