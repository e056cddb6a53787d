import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from '@databases/pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bootstrap } from '../../lib/domain/orgs';
import { MANIFEST_FILE, type Manifest } from '../../scripts/lib/backup';
import { type OwnDatabase, ownDatabase } from '../helpers/ownDatabase';

// A database and an artifacts folder of this file's own, holding three 1 MiB files: more than the 2 MiB tmpfs the
// disk-full story backs up into can take.
const FILE_BYTES = 1024 * 1024;
const FILES = ['first.bin', 'second.bin', 'third.bin'];

let db: OwnDatabase;
let artifactsDir: string;
let paths: string[];
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  db = await ownDatabase(inject('databaseUrl'));
  cleanups.push(() => db.drop());
  artifactsDir = freshDir('faults-source');
  const made = await bootstrap(db.pool);
  if (!made) throw new Error('bootstrap made nothing on a fresh database');
  paths = [];
  for (const name of FILES) {
    const relative = `builds/${made.repoId}/${name}`;
    const content = randomBytes(FILE_BYTES);
    fs.mkdirSync(path.join(artifactsDir, path.dirname(relative)), { recursive: true });
    fs.writeFileSync(path.join(artifactsDir, relative), content);
    const digest = createHash('sha256').update(content).digest('hex');
    await db.pool.query(
      sql`INSERT INTO artifacts (repo_id, name, path, size_bytes, sha256, content_type)
          VALUES (${made.repoId}, ${name}, ${relative}, ${content.length}, ${digest}, 'application/octet-stream')`,
    );
    paths.push(relative);
  }
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function freshDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `gitweave-${prefix}-`));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `file args…` with this file's database and artifacts folder; never throws on a non-zero exit. */
function run(file: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { env: { ...process.env, DATABASE_URL: db.url, ARTIFACTS_DIR: artifactsDir, ...env } },
      (err, stdout, stderr) => {
        const code = err ? Number((err as { code?: number }).code ?? 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end();
  });
}

const adminArgs = (...args: string[]) => ['--import', 'tsx', 'scripts/admin.ts', ...args];

/** The admin command with stdout and stderr on a pseudo-terminal (util-linux `script`), as an operator runs it. */
function onTerminal(...args: string[]): Promise<Run> {
  const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, ...adminArgs(...args)].map(quote).join(' ');
  // -e: script exits with the command's code; /dev/null: no typescript file kept
  return run('script', ['-qec', command, '/dev/null']);
}

/** What the terminal showed, one entry a line (a terminal ends lines with CR LF). */
const lines = (output: string) => output.split(/\r?\n/).filter((line) => line.trim() !== '');

describe('a backup onto a disk that fills up', () => {
  it('exits 2 with one line saying the disk is full, and leaves no manifest nor any file behind', async () => {
    const mount = freshDir('faults-tmpfs');
    await new Promise<void>((resolve, reject) =>
      execFile('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mount], (err) => (err ? reject(err) : resolve())),
    );
    // registered before the folder's removal (cleanups run in reverse): unmount first
    cleanups.push(
      () =>
        new Promise<void>((resolve, reject) => execFile('umount', [mount], (err) => (err ? reject(err) : resolve()))),
    );
    const target = path.join(mount, 'backup');

    const result = await run(process.execPath, adminArgs('backup', target));

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const said = lines(result.stderr);
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^error: Could not write .+ \(the disk is full\); the backup was removed\.$/);
    expect(fs.existsSync(path.join(target, MANIFEST_FILE))).toBe(false);
    expect(fs.readdirSync(target)).toEqual([]);

    // and nothing there passes for a backup: restore refuses it for want of a manifest, before touching anything
    const restored = await run(process.execPath, adminArgs('restore', target, '--json'), {
      ARTIFACTS_DIR: freshDir('faults-restore'),
    });
    expect(restored.code).toBe(2);
    expect(restored.stderr).toContain(`${MANIFEST_FILE} is missing`);
    expect(restored.stderr).toContain('did not finish');
  });
});

describe('progress on a terminal', () => {
  it('shows a line per table and per artifact, then the JSON', async () => {
    const target = path.join(freshDir('faults-progress'), 'backup');

    const result = await onTerminal('backup', target);

    expect(result.code).toBe(0);
    const manifest = JSON.parse(fs.readFileSync(path.join(target, MANIFEST_FILE), 'utf8')) as Manifest;
    const shown = lines(result.stdout);
    const progress = shown.filter((line) => line.startsWith('[gitweave] backup: '));
    expect(progress).toEqual([
      ...manifest.tables.map(
        (table) => `[gitweave] backup: table ${table.table}: ${table.rows} rows, ${table.sizeBytes} bytes`,
      ),
      ...[...paths].sort().map((file) => `[gitweave] backup: artifact ${file}: ${FILE_BYTES} bytes`),
    ]);
    expect(manifest.tables.map((table) => table.table)).toContain('artifacts');
    expect(JSON.parse(shown.at(-1) ?? '')).toMatchObject({ dir: target, artifacts: FILES.length });
  });

  it('with --json shows nothing but the JSON', async () => {
    const target = path.join(freshDir('faults-json'), 'backup');

    const result = await onTerminal('backup', target, '--json');

    expect(result.code).toBe(0);
    const shown = lines(result.stdout);
    expect(shown).toHaveLength(1);
    expect(JSON.parse(shown[0] ?? '')).toMatchObject({ dir: target, artifacts: FILES.length });
  });
});
