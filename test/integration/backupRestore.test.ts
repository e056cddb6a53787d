import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import createConnectionPool from '@databases/pg';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { bootstrap } from '../../lib/domain/orgs';
import { startEmbedded } from '../../scripts/lib/database';
import { migrate } from '../../scripts/lib/migrate';
import { freePort } from '../../scripts/lib/net';
import { serve } from '../../scripts/lib/serve';

// Each story runs on databases and artifact folders of its own, so that "empty" means empty and no other test's
// files (some of which are altered on purpose) end up in a backup.
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function freshDatabase(): Promise<string> {
  const name = `gw_backup_${randomBytes(4).toString('hex')}`;
  const server = new URL(inject('databaseUrl'));
  const admin = new pg.Client({ connectionString: server.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  cleanups.push(async () => {
    const client = new pg.Client({ connectionString: server.toString() });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.end();
  });
  const url = new URL(server.toString());
  url.pathname = `/${name}`;
  return url.toString();
}

function freshDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `gitweave-${prefix}-`));
  cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface AdminRun {
  code: number;
  // biome-ignore lint/suspicious/noExplicitAny: the one JSON object the command printed, asserted field by field
  json: any;
  stderr: string;
}

/** `npm run -s admin -- …` on a given database and artifacts folder; never throws on a non-zero exit. */
function admin(target: { databaseUrl: string; artifactsDir: string }, ...args: string[]): Promise<AdminRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/admin.ts', ...args],
      { env: { ...process.env, DATABASE_URL: target.databaseUrl, ARTIFACTS_DIR: target.artifactsDir } },
      (err, stdout, stderr) => {
        const code = err ? Number((err as { code?: number }).code ?? 1) : 0;
        resolve({ code, json: stdout.trim() ? JSON.parse(stdout) : null, stderr: stderr.trim() });
      },
    );
  });
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A migrated database with the first org, repo and admin, and an artifacts folder, served over HTTP. */
async function sourceWorld() {
  const databaseUrl = await freshDatabase();
  await migrate(databaseUrl);
  const pool = createConnectionPool({ connectionString: databaseUrl, bigIntMode: 'number', poolSize: 2 });
  const made = await bootstrap(pool);
  await pool.dispose();
  if (!made) throw new Error('bootstrap made nothing on a fresh database');
  const artifactsDir = freshDir('source');
  return { databaseUrl, artifactsDir, token: made.token, repoId: made.repoId };
}

type Source = Awaited<ReturnType<typeof sourceWorld>>;

/** One write as a CI job makes it: an upload, a build file registered, and a release shipping both. */
async function publish(base: string, source: Source, version: string): Promise<string> {
  const auth = { authorization: `Bearer ${source.token}` };
  const upload = await fetch(`${base}/repos/${source.repoId}/artifacts?name=app-${version}.bin`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/octet-stream' },
    body: randomBytes(2048 + Math.floor(Math.random() * 4096)),
  });
  const build = `builds/${source.repoId}/${version}/app.tgz`;
  fs.mkdirSync(path.join(source.artifactsDir, path.dirname(build)), { recursive: true });
  fs.writeFileSync(path.join(source.artifactsDir, build), randomBytes(1024));
  const registered = await fetch(`${base}/repos/${source.repoId}/artifacts`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'app.tgz', path: build }),
  });
  const artifactIds = [((await upload.json()) as { id: string }).id, ((await registered.json()) as { id: string }).id];
  const release = await fetch(`${base}/repos/${source.repoId}/releases`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ version, artifactIds }),
  });
  if (release.status !== 201) throw new Error(`release ${version}: ${release.status} ${await release.text()}`);
  return ((await release.json()) as { id: string }).id;
}

async function releaseLinks(databaseUrl: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query(`
      SELECT r.id, coalesce(json_agg(json_build_object('id', a.id, 'path', a.path, 'sizeBytes', a.size_bytes,
                                     'sha256', a.sha256) ORDER BY a.id) FILTER (WHERE a.id IS NOT NULL), '[]') AS artifacts
      FROM releases r LEFT JOIN release_artifacts ra ON ra.release_id = r.id LEFT JOIN artifacts a ON a.id = ra.artifact_id
      GROUP BY r.id ORDER BY r.id`);
    return new Map(rows.map((row) => [row.id as string, row.artifacts as { path: string; sha256: string }[]]));
  } finally {
    await client.end();
  }
}

/** Registers files written under the repo's builds/ folder, as rows and files (no server needed); returns their paths. */
async function seed(source: Source, names: string[]): Promise<string[]> {
  const client = new pg.Client({ connectionString: source.databaseUrl });
  await client.connect();
  try {
    const paths: string[] = [];
    for (const name of names) {
      const relative = `builds/${source.repoId}/${name}`;
      const content = Buffer.from(`content of ${relative}`);
      fs.mkdirSync(path.join(source.artifactsDir, path.dirname(relative)), { recursive: true });
      fs.writeFileSync(path.join(source.artifactsDir, relative), content);
      await client.query(
        'INSERT INTO artifacts (repo_id, name, path, size_bytes, sha256, content_type) VALUES ($1, $2, $3, $4, $5, $6)',
        [source.repoId, name, relative, content.length, sha256(content), 'application/octet-stream'],
      );
      paths.push(relative);
    }
    return paths;
  } finally {
    await client.end();
  }
}

async function idsByPath(databaseUrl: string): Promise<Map<string, string>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const { rows } = await client.query('SELECT id, path FROM artifacts');
  await client.end();
  return new Map(rows.map((row) => [row.path as string, row.id as string]));
}

async function tablesIn(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const { rows } = await client.query(
    "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
  );
  await client.end();
  return rows[0].n;
}

/** Holds an ACCESS EXCLUSIVE lock on a table, so that the backup's COPY waits there, after its snapshot was taken. */
async function gate(databaseUrl: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query('BEGIN');
  // a table of the schema that publishing releases never touches (deployments fill it)
  await client.query('LOCK TABLE metrics_restores IN ACCESS EXCLUSIVE MODE');
  return {
    /** resolves once the backup (its snapshot taken) is waiting for the lock */
    async dumpIsWaiting(): Promise<void> {
      // asked from another connection: inside the gate's transaction pg_stat_activity would stay as first read
      const watcher = new pg.Client({ connectionString: databaseUrl });
      await watcher.connect();
      try {
        for (let tries = 0; tries < 600; tries++) {
          const { rows } = await watcher.query(
            "SELECT 1 FROM pg_stat_activity WHERE application_name = 'gitweave-releases backup' AND wait_event_type = 'Lock'",
          );
          if (rows.length) return;
          await sleep(100);
        }
        throw new Error('the backup never waited for the gate');
      } finally {
        await watcher.end();
      }
    },
    async open(): Promise<void> {
      await client.query('COMMIT');
      await client.end();
    },
  };
}

describe('backup and restore', () => {
  it('a backup taken while releases and uploads are written restores to a state where every release has all its artifacts, each file matches its digest, and a server serves them', async () => {
    const source = await sourceWorld();
    const server = await serve({
      databaseUrl: source.databaseUrl,
      env: { ARTIFACTS_DIR: source.artifactsDir, LOG_LEVEL: 'fatal' },
      output: 'ignore',
    });
    cleanups.push(() => server.stop());
    const before: string[] = [];
    for (let i = 0; i < 5; i++) before.push(await publish(server.url, source, `1.0.${i}`));

    // writes that go on during the whole backup, from another client
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) await publish(server.url, source, `2.0.${written++}`);
    })();
    cleanups.push(async () => {
      writing = false;
      await writer.catch(() => undefined);
    });

    const held = await gate(source.databaseUrl);
    const backupDir = path.join(freshDir('backup'), 'snapshot');
    const backup = admin(source, 'backup', backupDir);
    // committed after the snapshot the dump reads: none of these may be in the backup, files or rows
    const after: string[] = [];
    try {
      await held.dumpIsWaiting();
      for (let i = 0; i < 3; i++) after.push(await publish(server.url, source, `3.0.${i}`));
    } finally {
      await held.open();
    }
    const made = await backup;
    writing = false;
    await writer;
    expect(made.stderr).toBe('');
    expect(made).toMatchObject({ code: 0, json: { dir: backupDir, artifacts: expect.any(Number) } });

    const target = { databaseUrl: await freshDatabase(), artifactsDir: path.join(freshDir('target'), 'artifacts') };
    const restored = await admin(target, 'restore', backupDir);
    expect(restored.stderr).toBe('');
    expect(restored).toMatchObject({ code: 0, json: { restored: true, artifacts: made.json.artifacts } });

    const sourceLinks = await releaseLinks(source.databaseUrl);
    const restoredLinks = await releaseLinks(target.databaseUrl);
    for (const id of before) expect(restoredLinks.has(id)).toBe(true);
    for (const id of after) expect(restoredLinks.has(id)).toBe(false);
    for (const [id, artifacts] of restoredLinks) {
      expect(artifacts).toEqual(sourceLinks.get(id));
      expect(artifacts).toHaveLength(2);
      for (const artifact of artifacts) {
        expect(sha256(fs.readFileSync(path.join(target.artifactsDir, artifact.path)))).toBe(artifact.sha256);
      }
    }
    // the restored volume holds exactly what the restored rows name
    expect(await admin(target, 'verify')).toMatchObject({ code: 0, json: { clean: true } });
    // restore drops the tables' indexes to load them and builds them again: the schema's indexes, each valid
    const restoredIndexes = await indexesOf(target.databaseUrl);
    expect(restoredIndexes).toEqual(await indexesOf(source.databaseUrl));
    expect(restoredIndexes.length).toBeGreaterThan(40);

    const restoredServer = await serve({
      databaseUrl: target.databaseUrl,
      env: { ARTIFACTS_DIR: target.artifactsDir, LOG_LEVEL: 'fatal' },
      output: 'ignore',
    });
    cleanups.push(() => restoredServer.stop());
    const auth = { authorization: `Bearer ${source.token}` };
    const served: string[] = [];
    for (let next: string | null = `${restoredServer.url}/repos/${source.repoId}/releases?limit=100`; next; ) {
      const page = await fetch(next, { headers: auth });
      expect(page.status).toBe(200);
      const body = (await page.json()) as { items: { id: string }[]; nextCursor: string | null };
      served.push(...body.items.map((item) => item.id));
      next = body.nextCursor
        ? `${restoredServer.url}/repos/${source.repoId}/releases?limit=100&cursor=${encodeURIComponent(body.nextCursor)}`
        : null;
    }
    expect(served.sort()).toEqual([...restoredLinks.keys()].sort());
    for (const id of before) {
      const response = await fetch(`${restoredServer.url}/repos/${source.repoId}/releases/${id}`, { headers: auth });
      expect(response.status).toBe(200);
      const release = (await response.json()) as { artifacts: { path: string; sha256: string }[] };
      const expected = restoredLinks.get(id) ?? [];
      expect(
        release.artifacts.map(({ path, sha256 }) => ({ path, sha256 })).sort((a, b) => a.path.localeCompare(b.path)),
      ).toEqual(expected.map(({ path, sha256 }) => ({ path, sha256 })).sort((a, b) => a.path.localeCompare(b.path)));
    }
  }, 180_000);

  it('stops a backup at a file that no longer matches its row, naming it, and leaves no partial backup behind', async () => {
    const source = await sourceWorld();
    const [, changed] = await seed(source, ['kept.bin', 'changed.bin']);
    fs.writeFileSync(path.join(source.artifactsDir, changed!), 'rewritten after it was registered');
    const backupDir = freshDir('backup');

    const failed = await admin(source, 'backup', backupDir);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toMatch(
      new RegExp(
        `^error: The file ${path.join(source.artifactsDir, changed!)} \\(33 bytes, sha256 [0-9a-f]{64}\\) is not what artifact [0-9a-f-]{36} registered .*run \`npm run -s admin -- verify\` to list every problem, and restore or re-register the file\\.$`,
      ),
    );
    expect(fs.readdirSync(backupDir)).toEqual([]);
  }, 180_000);

  it('refuses a backup with an altered file or a truncated table, naming the file, before changing anything', async () => {
    const source = await sourceWorld();
    const [file] = await seed(source, ['a.bin']);
    const backupDir = path.join(freshDir('backup'), 'snapshot');
    expect(await admin(source, 'backup', backupDir)).toMatchObject({ code: 0 });
    const target = { databaseUrl: await freshDatabase(), artifactsDir: path.join(freshDir('target'), 'artifacts') };

    fs.appendFileSync(path.join(backupDir, 'artifacts', file!), 'x');
    const altered = await admin(target, 'restore', backupDir);
    expect(altered.code).toBe(2);
    expect(altered.stderr).toMatch(
      new RegExp(`^error: The backup's artifacts/${file} failed its check .*nothing was changed\\.$`),
    );

    fs.truncateSync(path.join(backupDir, 'artifacts', file!), fs.statSync(path.join(source.artifactsDir, file!)).size);
    const table = path.join(backupDir, 'tables', 'artifacts.copy');
    fs.truncateSync(table, fs.statSync(table).size - 10);
    const truncated = await admin(target, 'restore', backupDir);
    expect(truncated.code).toBe(2);
    expect(truncated.stderr).toMatch(
      /^error: The backup's tables\/artifacts\.copy failed its check .*nothing was changed\.$/,
    );

    expect(await tablesIn(target.databaseUrl)).toBe(0);
    expect(fs.existsSync(target.artifactsDir)).toBe(false);
  }, 180_000);

  it('refuses to restore into a database or an artifacts folder that is not empty', async () => {
    const source = await sourceWorld();
    await seed(source, ['a.bin']);
    const backupDir = path.join(freshDir('backup'), 'snapshot');
    expect(await admin(source, 'backup', backupDir)).toMatchObject({ code: 0 });

    const used = { databaseUrl: source.databaseUrl, artifactsDir: path.join(freshDir('target'), 'artifacts') };
    const intoUsedDatabase = await admin(used, 'restore', backupDir);
    expect(intoUsedDatabase.code).toBe(2);
    expect(intoUsedDatabase.stderr).toMatch(
      /^error: The database to restore into is not empty; .*Nothing was changed\.$/,
    );
    expect(fs.existsSync(used.artifactsDir)).toBe(false);

    const emptyDatabase = await freshDatabase();
    const intoUsedFolder = await admin(
      { databaseUrl: emptyDatabase, artifactsDir: source.artifactsDir },
      'restore',
      backupDir,
    );
    expect(intoUsedFolder.code).toBe(2);
    expect(intoUsedFolder.stderr).toBe(
      `error: The artifacts folder ${source.artifactsDir} is not empty; set ARTIFACTS_DIR to a new or empty folder, or move this one away. Nothing was changed.`,
    );
    expect(await tablesIn(emptyDatabase)).toBe(0);
  }, 180_000);
});

/** The whole feed of `repoId` from the start, following nextCursor; returns the event ids and the last cursor. */
async function readFeed(base: string, token: string, repoId: string, after?: string) {
  const ids: string[] = [];
  let cursor = after;
  for (;;) {
    const query = `limit=100${cursor ? `&after=${encodeURIComponent(cursor)}` : ''}`;
    const page = await fetch(`${base}/repos/${repoId}/events?${query}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (page.status !== 200) throw new Error(`feed: ${page.status} ${await page.text()}`);
    const body = (await page.json()) as { items: { id: string }[]; nextCursor: string };
    ids.push(...body.items.map((item) => item.id));
    cursor = body.nextCursor;
    if (body.items.length < 100) return { ids, cursor };
  }
}

/** readFeed once it shows at least `count` events (within a minute). */
async function feedOf(base: string, token: string, repoId: string, count: number) {
  for (let tries = 0; ; tries++) {
    const feed = await readFeed(base, token, repoId);
    if (feed.ids.length >= count || tries >= 600) return feed;
    await sleep(100);
  }
}

/** Every index of the public schema: its name, its definition and whether it is valid and ready. */
async function indexesOf(databaseUrl: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ line: string }>(
      `SELECT concat_ws(' ', c.relname, pg_get_indexdef(i.indexrelid), i.indisvalid, i.indisready) AS line
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
       WHERE c.relnamespace = 'public'::regnamespace ORDER BY c.relname`,
    );
    return rows.map((row) => row.line);
  } finally {
    await client.end();
  }
}

async function serverVersion(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const { rows } = await client.query('SHOW server_version_num');
  await client.end();
  return Math.floor(Number(rows[0].server_version_num) / 10_000);
}

describe('backup and restore across clusters and major versions', () => {
  it("restores the system Postgres' backup into a fresh embedded cluster (another major), whose feed shows the restored events in order before new ones, and that cluster's backup back into the system Postgres", {
    timeout: 600_000,
  }, async () => {
    const source = await sourceWorld();
    const server = await serve({
      databaseUrl: source.databaseUrl,
      env: { ARTIFACTS_DIR: source.artifactsDir, LOG_LEVEL: 'fatal' },
      output: 'ignore',
    });
    cleanups.push(() => server.stop());
    for (let i = 0; i < 4; i++) await publish(server.url, source, `1.0.${i}`);
    // the feed holds events back behind any transaction still open on the server (other runs share it): wait for them
    const sourceFeed = await feedOf(server.url, source.token, source.repoId, 4);
    expect(sourceFeed.ids.length).toBeGreaterThanOrEqual(4);
    const backupDir = path.join(freshDir('backup'), 'first');
    expect(await admin(source, 'backup', backupDir)).toMatchObject({ code: 0, stderr: '' });

    // a cluster of its own, new: its transaction ids start far below the source's
    fs.mkdirSync('data', { recursive: true });
    const dataDir = path.join('data', `test-restore-${randomBytes(4).toString('hex')}`);
    const cluster = await startEmbedded({ dataDir, port: await freePort(), database: 'restored', fast: true });
    cleanups.push(async () => {
      await cluster.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
      for (const suffix of ['.owner', '.password']) fs.rmSync(`${dataDir}${suffix}`, { force: true });
    });
    const versions = [await serverVersion(source.databaseUrl), await serverVersion(cluster.url)];
    const target = { databaseUrl: cluster.url, artifactsDir: path.join(freshDir('target'), 'artifacts') };
    const restored = await admin(target, 'restore', backupDir);
    expect(restored).toMatchObject({ code: 0, stderr: '', json: { restored: true } });
    expect(await admin(target, 'verify')).toMatchObject({ code: 0, json: { clean: true } });

    const restoredServer = await serve({
      databaseUrl: cluster.url,
      env: { ARTIFACTS_DIR: target.artifactsDir, LOG_LEVEL: 'fatal' },
      output: 'ignore',
    });
    cleanups.push(() => restoredServer.stop());
    // every restored event, visible and in the order the source served them
    const first = await readFeed(restoredServer.url, source.token, source.repoId);
    expect(first.ids).toEqual(sourceFeed.ids);
    // a write on the new cluster: after the restored events, and found from the cursor read after the restore
    await publish(restoredServer.url, { ...source, artifactsDir: target.artifactsDir }, '2.0.0');
    const next = await readFeed(restoredServer.url, source.token, source.repoId, first.cursor);
    expect(next.ids.length).toBeGreaterThanOrEqual(1);
    const whole = await readFeed(restoredServer.url, source.token, source.repoId);
    expect(whole.ids).toEqual([...sourceFeed.ids, ...next.ids]);

    // and back: the new cluster's backup into a database of the system Postgres
    const backDir = path.join(freshDir('backup'), 'back');
    expect(await admin(target, 'backup', backDir)).toMatchObject({ code: 0, stderr: '' });
    const again = { databaseUrl: await freshDatabase(), artifactsDir: path.join(freshDir('again'), 'artifacts') };
    expect(await admin(again, 'restore', backDir)).toMatchObject({ code: 0, stderr: '', json: { restored: true } });
    expect(await admin(again, 'verify')).toMatchObject({ code: 0, json: { clean: true } });
    expect([...(await releaseLinks(again.databaseUrl)).entries()]).toEqual([
      ...(await releaseLinks(target.databaseUrl)).entries(),
    ]);
    const backServer = await serve({
      databaseUrl: again.databaseUrl,
      env: { ARTIFACTS_DIR: again.artifactsDir, LOG_LEVEL: 'fatal' },
      output: 'ignore',
    });
    cleanups.push(() => backServer.stop());
    expect((await feedOf(backServer.url, source.token, source.repoId, whole.ids.length)).ids).toEqual(whole.ids);
    // on DATABASE_URL's server (the system's 15 in CI) this crossed majors both ways; on the embedded default, 17 to 17
    expect(versions[1]).toBe(17);
  });

  it('refuses a second backup into the folder another is writing, and both into folders of their own complete', {
    timeout: 120_000,
  }, async () => {
    const source = await sourceWorld();
    await seed(source, ['a.bin', 'b.bin']);
    const parent = freshDir('backup');
    const [one, two] = await Promise.all([
      admin(source, 'backup', path.join(parent, 'one')),
      admin(source, 'backup', path.join(parent, 'two')),
    ]);
    expect(one).toMatchObject({ code: 0, stderr: '' });
    expect(two).toMatchObject({ code: 0, stderr: '' });
    const busy = path.join(parent, 'busy');
    fs.mkdirSync(busy);
    fs.writeFileSync(path.join(busy, '.backup-in-progress'), '1');
    const refused = await admin(source, 'backup', busy);
    expect(refused).toMatchObject({
      code: 2,
      stderr: `error: Another backup is being written into ${busy}; back up into a new or empty folder.`,
    });
    expect(fs.readdirSync(busy)).toEqual(['.backup-in-progress']);
  });
});

describe('verify', () => {
  it('reports a missing file, an altered file and an orphan file, changes nothing, and exits 3; a clean volume exits 0', async () => {
    const source = await sourceWorld();
    const [kept, gone, changed] = await seed(source, ['kept.bin', 'gone.bin', 'changed.bin']);
    expect(await admin(source, 'verify')).toEqual({
      code: 0,
      json: { clean: true, rows: 3, files: 3, missing: [], altered: [], orphans: [] },
      stderr: '',
    });

    fs.rmSync(path.join(source.artifactsDir, gone!));
    fs.writeFileSync(path.join(source.artifactsDir, changed!), 'not what was registered');
    const orphan = `builds/${source.repoId}/stray.tgz`;
    fs.writeFileSync(path.join(source.artifactsDir, orphan), 'no row names me');
    // an upload in flight is not the volume's business
    fs.mkdirSync(path.join(source.artifactsDir, '.staging'));
    fs.writeFileSync(path.join(source.artifactsDir, '.staging', 'upload-1'), 'half');
    const ids = await idsByPath(source.databaseUrl);

    const report = await admin(source, 'verify');
    expect(report).toEqual({
      code: 3,
      json: {
        clean: false,
        rows: 3,
        files: 3,
        missing: [{ path: gone, artifactIds: [ids.get(gone!)] }],
        altered: [
          {
            path: changed,
            artifactIds: [ids.get(changed!)],
            expected: {
              sizeBytes: Buffer.byteLength(`content of ${changed}`),
              sha256: sha256(Buffer.from(`content of ${changed}`)),
            },
            found: { sizeBytes: 23, sha256: sha256(Buffer.from('not what was registered')) },
          },
        ],
        orphans: [orphan],
      },
      stderr: '',
    });
    expect(fs.readFileSync(path.join(source.artifactsDir, kept!), 'utf8')).toBe(`content of ${kept}`);
    expect(fs.existsSync(path.join(source.artifactsDir, orphan))).toBe(true);
    expect((await idsByPath(source.databaseUrl)).size).toBe(3);
  }, 180_000);
});
