import path from 'node:path';
import { connect } from './backup';
import { type Digest, digestPath, listFiles } from './files';

/** The folders of the volume that rows name files in; `.staging` holds uploads in flight and is not looked at. */
const NAMED_DIRS = ['repos', 'builds'];
const BATCH = 1000;

interface Problem {
  path: string;
  artifactIds: string[];
}

interface VolumeReport {
  clean: boolean;
  /** artifact rows read */
  rows: number;
  /** distinct files those rows name, each hashed once */
  files: number;
  /** rows whose file is not there (or is not a regular file) */
  missing: Problem[];
  /** rows whose file is there with another size or SHA-256 */
  altered: (Problem & { expected: Digest; found: Digest })[];
  /** files under repos/ and builds/ that no row names */
  orphans: string[];
}

/**
 * Compares the artifact rows with the files on the volume, changing nothing. The files are listed before the rows
 * are read, so a row committed meanwhile is never reported missing; a file whose upload is committing at that very
 * moment can show as an orphan, which a second run settles.
 */
export async function verifyVolume(databaseUrl: string, artifactsDir: string): Promise<VolumeReport> {
  const onDisk: string[] = [];
  for (const dir of NAMED_DIRS) {
    for (const file of await listFiles(path.join(artifactsDir, dir))) onDisk.push(`${dir}/${file}`);
  }
  const client = await connect(databaseUrl, 'gitweave-releases verify');
  // each path with the rows naming it (the same upload registered twice shares its content-addressed file)
  const named = new Map<string, (Digest & { id: string })[]>();
  let rows = 0;
  try {
    const { rows: tables } = await client.query("SELECT to_regclass('artifacts') IS NOT NULL AS present");
    if (!tables[0]?.present) {
      throw new Error(
        'The database has no artifacts table: it was never migrated (npm start or npm run migrate creates it).',
      );
    }
    // keyset batches: the rows of a large volume are never all in one result
    let after = { path: '', id: '00000000-0000-0000-0000-000000000000' };
    for (;;) {
      const batch = await client.query(
        'SELECT id, path, size_bytes, sha256 FROM artifacts WHERE (path, id) > ($1, $2) ORDER BY path, id LIMIT $3',
        [after.path, after.id, BATCH],
      );
      for (const row of batch.rows) {
        const entry = { id: row.id, sizeBytes: Number(row.size_bytes), sha256: row.sha256 };
        named.set(row.path, [...(named.get(row.path) ?? []), entry]);
      }
      rows += batch.rows.length;
      const last = batch.rows.at(-1);
      if (!last || batch.rows.length < BATCH) break;
      after = { path: last.path, id: last.id };
    }
  } finally {
    await client.end();
  }

  const report: VolumeReport = { clean: true, rows, files: named.size, missing: [], altered: [], orphans: [] };
  for (const [relative, expected] of named) {
    const found = await digestPath(path.join(artifactsDir, relative));
    if (!found) {
      report.missing.push({ path: relative, artifactIds: expected.map((row) => row.id) });
      continue;
    }
    const differing = expected.filter((row) => row.sizeBytes !== found.sizeBytes || row.sha256 !== found.sha256);
    for (const row of differing) {
      report.altered.push({
        path: relative,
        artifactIds: [row.id],
        expected: { sizeBytes: row.sizeBytes, sha256: row.sha256 },
        found,
      });
    }
  }
  report.orphans = onDisk.filter((file) => !named.has(file));
  report.clean = !report.missing.length && !report.altered.length && !report.orphans.length;
  return report;
}
