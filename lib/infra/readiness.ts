import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ReadinessChecks } from '../../schemas/common';
import { config } from './config';
import { isDatabaseUnavailable, pingDatabase, type Queryable, sql } from './db';
import { listenState } from './listen';
import { log } from './log';
import { migrationFiles } from './migrations';

type Check = ReadinessChecks['database'];
const ok = (detail: string): Check => ({ status: 'ok', detail });
const failing = (detail: string): Check => ({ status: 'failing', detail });
/** What went wrong, without internals (the body is public): a SQL state or an errno code, no message or address. */
const reason = (err: unknown) => {
  const code = (err as { code?: unknown } | null)?.code;
  if (isDatabaseUnavailable(err)) return 'unavailable';
  return typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? code : 'an error (see the log)';
};

/** The files of this version, read once: what runs is what was loaded, whatever is on disk later. */
let files: Map<string, string> | null | undefined;
function shippedMigrations(): Map<string, string> | null {
  if (files === undefined) {
    try {
      files = migrationFiles();
    } catch {
      files = null;
    }
  }
  return files;
}

/** Every file of this version is applied, unchanged, and nothing is applied that this version lacks. */
async function migrationsCurrent(db: Queryable): Promise<Check> {
  const shipped = shippedMigrations();
  if (!shipped) return { status: 'skipped', detail: 'the migrations are not shipped beside this function' };
  const rows = await db.query(sql`
    SELECT m.name, c.sha256 FROM pgmigrations m LEFT JOIN pgmigrations_checksums c ON c.name = m.name`);
  const applied = new Map<string, string | null>(rows.map((row) => [row.name as string, row.sha256 as string | null]));
  const pending = [...shipped.keys()].filter((name) => !applied.has(name));
  if (pending.length) return failing(`not applied: ${pending.join(', ')} (npm run migrate)`);
  const unknown = [...applied.keys()].filter((name) => !shipped.has(name));
  if (unknown.length) return failing(`applied but not in this version: ${unknown.join(', ')}`);
  const changed = [...applied].filter(([name, sha]) => sha !== null && sha !== shipped.get(name)).map(([name]) => name);
  if (changed.length) return failing(`changed since applied: ${changed.join(', ')}`);
  return ok(`${shipped.size} applied, the last ${[...shipped.keys()].at(-1)}`);
}

/** A file can be written to the artifacts volume, and removed. */
async function artifactsWritable(): Promise<Check> {
  const dir = config().artifactsDir;
  const probe = path.join(dir, `.ready-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await fs.writeFile(probe, 'ready\n', { flag: 'wx' });
    await fs.rm(probe, { force: true });
    return ok('a file was written and removed');
  } catch (err) {
    return failing(`a file could not be written: ${reason(err)}`);
  }
}

function listening(): Check {
  const state = listenState();
  if (state === 'none') {
    return { status: 'skipped', detail: 'nothing LISTENs in this door; cached identities last AUTH_CACHE_TTL_MS' };
  }
  return state === 'up'
    ? ok('identity changes, feed events and new deliveries arrive')
    : failing('the LISTEN connection is being made again: revoked tokens may stay accepted meanwhile');
}

/**
 * Whether this process can serve: the database answers, its migrations are this version's, the artifacts volume is
 * writable, and the LISTEN connection is up (where one runs). Each check by name, run at once beside the others.
 */
export async function readiness(db: Queryable): Promise<{ ready: boolean; checks: ReadinessChecks }> {
  const database = pingDatabase(db).then(
    () => ok('answered SELECT 1'),
    (err: unknown) => {
      log().warn({ err }, 'readiness: the database did not answer');
      return failing(`did not answer: ${reason(err)}`);
    },
  );
  const migrations = database.then((answered) =>
    answered.status === 'ok'
      ? migrationsCurrent(db).catch((err: unknown) => failing(`could not be read: ${reason(err)}`))
      : failing('unknown: the database did not answer'),
  );
  const [db1, migrations1, artifacts] = await Promise.all([database, migrations, artifactsWritable()]);
  const checks: ReadinessChecks = { database: db1, migrations: migrations1, artifacts, listen: listening() };
  return { ready: Object.values(checks).every((check) => check.status !== 'failing'), checks };
}
