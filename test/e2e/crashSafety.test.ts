import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from '../../lib/infra/db';
import { type Server, serve } from '../../scripts/lib/serve';
import { orgWithMembers, testPool, writeBuildFile } from '../helpers/factories';

// A server of this test's own, killed with SIGKILL in the middle of a load of writes, then started again.
const pool = testPool();
let world: Awaited<ReturnType<typeof orgWithMembers>>;
let server: Server | undefined;
const workFolder = `.esbuild-crash-${process.pid}`;

async function start(): Promise<Server> {
  return serve({
    databaseUrl: inject('databaseUrl'),
    env: { ARTIFACTS_DIR: inject('artifactsDir'), LOG_LEVEL: 'fatal', ESBUILD_WORK_FOLDER: workFolder },
    output: 'ignore',
  });
}

beforeAll(async () => {
  world = await orgWithMembers(pool);
}, 120_000);
afterAll(async () => {
  await server?.stop();
  fs.rmSync(workFolder, { recursive: true, force: true });
  await pool.dispose();
});

describe('a server killed mid-write', () => {
  it('keeps every acknowledged release with all its links and every acknowledged upload intact, and leaves no stray or half-written file', async () => {
    server = await start();
    const url = server.url;
    const headers = { authorization: `Bearer ${world.developer.token}`, 'content-type': 'application/json' };
    const artifactIds: string[] = [];
    for (const name of ['a', 'b', 'c']) {
      const file = writeBuildFile(world.repo.id, `crash/${name}`, name);
      const res = await fetch(`${url}/repos/${world.repo.id}/artifacts`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ name, path: file }),
      });
      artifactIds.push(((await res.json()) as { id: string }).id);
    }

    const acknowledged: string[] = [];
    const uploaded: Array<{ id: string; sha256: string }> = [];
    let stop = false;
    let n = 0;
    const worker = async () => {
      while (!stop) {
        n += 1;
        const version = `1.0.${n}`;
        const upload = Buffer.alloc(256 * 1024, n % 251);
        try {
          const [release, file] = await Promise.all([
            fetch(`${url}/repos/${world.repo.id}/releases`, {
              method: 'POST',
              headers,
              body: JSON.stringify({ version, artifactIds }),
            }),
            fetch(`${url}/repos/${world.repo.id}/artifacts?name=u${n}`, {
              method: 'POST',
              headers: { authorization: headers.authorization, 'content-type': 'application/octet-stream' },
              body: upload,
            }),
          ]);
          if (release.status === 201) acknowledged.push(((await release.json()) as { id: string }).id);
          if (file.status === 201) uploaded.push((await file.json()) as { id: string; sha256: string });
        } catch {
          // the server died under this request: nothing was promised
        }
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    while (acknowledged.length < 30) await new Promise((resolve) => setTimeout(resolve, 20));
    server.child.kill('SIGKILL');
    await new Promise((resolve) => server!.child.once('exit', resolve));
    stop = true;
    await Promise.all(workers);

    // what the kill left in staging is swept at the next start once it is older than any request may be; a file
    // staged a moment ago (another server's upload in flight on a shared volume) is left alone
    const staging = path.join(inject('artifactsDir'), '.staging');
    fs.mkdirSync(staging, { recursive: true });
    const orphans = fs.readdirSync(staging).filter((name) => name.startsWith(`${world.repo.id}-`));
    const hoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    for (const name of orphans) fs.utimesSync(path.join(staging, name), hoursAgo, hoursAgo);
    const inFlight = path.join(staging, `${world.repo.id}-in-flight`);
    fs.writeFileSync(inFlight, 'partial');

    server = await start();
    const left = fs.readdirSync(staging);
    expect(orphans.filter((name) => left.includes(name))).toEqual([]);
    expect(fs.existsSync(inFlight)).toBe(true);
    fs.rmSync(inFlight);
    const rows = await pool.query(sql`
      SELECT r.id, count(ra.artifact_id)::int AS links FROM releases r LEFT JOIN release_artifacts ra ON ra.release_id = r.id
      WHERE r.repo_id = ${world.repo.id} GROUP BY r.id`);
    const links = new Map(rows.map((row) => [row.id as string, row.links as number]));
    for (const id of acknowledged) expect(links.get(id)).toBe(3);
    expect(rows.filter((row) => row.links !== 3)).toEqual([]);

    // at least one upload was acknowledged before the kill, and each acknowledged one is on the volume intact
    expect(uploaded.length).toBeGreaterThan(0);
    const volume = inject('artifactsDir');
    const registered = await pool.query(
      sql`SELECT id, path, size_bytes, sha256 FROM artifacts WHERE repo_id = ${world.repo.id} AND path LIKE 'repos/%'`,
    );
    const byId = new Map(registered.map((row) => [row.id as string, row]));
    for (const ack of uploaded) {
      const row = byId.get(ack.id);
      expect({ id: ack.id, sha256: row?.sha256 }).toEqual({ id: ack.id, sha256: ack.sha256 });
    }
    for (const artifact of registered) {
      const bytes = fs.readFileSync(path.join(volume, artifact.path));
      expect(bytes.length).toBe(artifact.size_bytes);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(artifact.sha256);
    }
    // the upload store itself: every file is named by its content's SHA-256, and no temporary file outlived the crash
    const store = path.join(volume, 'repos', world.repo.id);
    const stored = fs.readdirSync(store);
    expect(stored.filter((name) => !/^[0-9a-f]{64}$/.test(name))).toEqual([]);
    for (const name of stored) {
      const digest = createHash('sha256')
        .update(fs.readFileSync(path.join(store, name)))
        .digest('hex');
      expect({ name, digest }).toEqual({ name, digest: name });
    }
    const after = await fetch(`${server.url}/repos/${world.repo.id}/releases?limit=1`, { headers });
    expect(after.status).toBe(200);
  }, 180_000);
});
