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

  it("refuses a database that a newer version migrated, naming its newest migration and this version's, and changes nothing", async () => {
    // this version as the one before the newest migration: the database was migrated by the next one
    const [newest, ...older] = fs
      .readdirSync(dir)
      .filter((file) => file.endsWith('.sql'))
      .sort()
      .reverse();
    fs.rmSync(path.join(dir, newest ?? ''));
    await run('DROP TABLE pgmigrations_checksums', url);
    const err = await refusal();
    expect(err).toBeInstanceOf(MigrationChanged);
    expect((err as Error).message).toBe(
      `this database is at migration ${newest?.replace(/\.sql$/, '')}, newer than this version's newest (${older[0]?.replace(/\.sql$/, '')}): a newer version of gitweave-releases migrated it, so run that version or a later one on it; nothing was changed`,
    );
    expect(await run("SELECT to_regclass('pgmigrations_checksums') IS NULL AS absent", url)).toEqual([
      { absent: true },
    ]);
  });

  it('stops migrate, and every admin command, on a database a newer version migrated, with one line and exit 2', async () => {
    await run("INSERT INTO pgmigrations (name, run_on) VALUES ('9000_from_a_newer_version', now())", url);
    const newest = fs
      .readdirSync('migrations')
      .filter((file) => file.endsWith('.sql'))
      .sort()
      .at(-1)
      ?.replace(/\.sql$/, '');
    const line = `this database is at migration 9000_from_a_newer_version, newer than this version's newest (${newest}): a newer version of gitweave-releases migrated it, so run that version or a later one on it; nothing was changed`;
    for (const [script, args, prefix] of [
      ['scripts/migrate.ts', [], '[gitweave] cannot migrate: '],
      ['scripts/admin.ts', ['org', 'create', 'late'], 'error: '],
      ['scripts/admin.ts', ['verify'], 'error: '],
      ['scripts/admin.ts', ['backup', path.join(dir, 'backup')], 'error: '],
    ] as const) {
      const failed = await exec(process.execPath, ['--import', 'tsx', script, ...args], {
        env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'fatal' },
      }).then(
        () => null,
        (err: { code: number; stdout: string; stderr: string }) => err,
      );
      expect({ script, args, code: failed?.code, stdout: failed?.stdout, stderr: failed?.stderr }).toEqual({
        script,
        args,
        code: 2,
        stdout: '',
        stderr: `${prefix}${line}\n`,
      });
    }
    expect(fs.existsSync(path.join(dir, 'backup'))).toBe(false);
    expect(await run("SELECT count(*)::int AS orgs FROM orgs WHERE slug = 'late'", url)).toEqual([{ orgs: 0 }]);
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
