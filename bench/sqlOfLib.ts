/**
 * The SQL that lib/ issues for each measured read, captured by calling the lib functions on a recording Queryable
 * (no database). The naive reference and the pgbench scripts carry their own copy of these statements
 * (bench/reference/statements.ts); the bench compares the two so that a change in lib/ cannot leave them behind.
 */
import { pgFormat, type Queryable, type SQLQuery } from '@databases/pg';
import { listDeployments } from '../lib/domain/deploymentLists';
import { getDeployment } from '../lib/domain/deployments';
import { listRepoEnvironments } from '../lib/domain/environments';
import { getLatestRelease, getRelease, listReleases } from '../lib/domain/releases';

const ID = '00000000-0000-4000-8000-000000000001';
const ROW = {
  id: ID,
  token_id: ID,
  name: 'bench',
  stale: false,
  repo_role: 'release_manager',
  created_at: new Date(0),
  started_at: new Date(0),
  ended_at: null,
  artifacts: [],
  deployments: [],
};

/** The statements `work` issues, in order, as text with $n placeholders. */
async function capture(work: (db: Queryable) => Promise<unknown>): Promise<string[]> {
  const texts: string[] = [];
  const db = {
    query: async (query: SQLQuery) => {
      texts.push(query.format(pgFormat).text);
      return [ROW];
    },
    tx: async <T>(fn: (tx: Queryable) => Promise<T>) => fn(db as unknown as Queryable),
  } as unknown as Queryable;
  await work(db).catch(() => undefined);
  return texts;
}

const repo = { id: ID, orgId: ID, role: 'release_manager' as const };

/**
 * Per read: the statements of the domain call. The token lookup is left out: a warm server answers it from its cache
 * (lib/domain/identity), while the naive reference keeps a one-statement token query per request, as the bench defines
 * the reference.
 */
export async function libStatements(): Promise<Record<string, string[]>> {
  return {
    listReleases: [...(await capture((db) => listReleases(db, ID, { limit: 20 })))],
    getRelease: [...(await capture((db) => getRelease(db, ID, ID)))],
    getLatestRelease: [...(await capture((db) => getLatestRelease(db, ID, { prerelease: false })))],
    listDeployments: [...(await capture((db) => listDeployments(db, ID, ID, { limit: 20 })))],
    getDeployment: [...(await capture((db) => getDeployment(db, ID, ID)))],
    repoEnvironments: [...(await capture((db) => listRepoEnvironments(db, repo, { limit: 20 })))],
  };
}

/** Whitespace-insensitive form of a statement, for comparing. */
export const normalise = (text: string) =>
  text
    .replace(/\s+/g, ' ')
    .replace(/ ([,)])/g, '$1')
    .replace(/\( /g, '(')
    .trim();

/** Each read whose hand-copied statements differ from lib's, with the first statement that differs. */
export async function statementDrift(
  copies: Record<string, string[]>,
  positional: (statement: string) => { text: string },
): Promise<Array<{ read: string; index: number; lib: string; copy: string }>> {
  const lib = await libStatements();
  const drift: Array<{ read: string; index: number; lib: string; copy: string }> = [];
  for (const [read, statements] of Object.entries(lib)) {
    // the first copy is the reference's token query (see libStatements)
    const copy = (copies[read] ?? []).slice(1).map((statement) => normalise(positional(statement).text));
    const index = statements.findIndex((text, i) => normalise(text) !== copy[i]);
    if (index >= 0 || copy.length !== statements.length) {
      const at = index >= 0 ? index : statements.length;
      drift.push({ read, index: at, lib: normalise(statements[at] ?? ''), copy: copy[at] ?? '' });
    }
  }
  return drift;
}
