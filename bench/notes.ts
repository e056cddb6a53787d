/**
 * npm run bench:notes [-- --commits=100000 --range=1000 --rounds=60]
 *
 * The notes target: "notes for a range of 1,000 commits in a repository of 100,000 commits: p50 under 1 s". A bare
 * repository of `commits` Conventional Commits is made with git fast-import (nothing downloaded) under a
 * GIT_REPOS_DIR of the bench's own, a release names the commit `range` commits before the tip, and npm start's
 * server (on a database of the bench's own on DATABASE_URL's server, dropped at the end) is asked in turn, one
 * request at a time, for the notes of that range (POST …/releases/notes) and for a list page (GET …/releases), the
 * reference, `rounds` times each. It prints p50 and p99 of each and the ratio of the two, and beside them, in this
 * process, the time of the git read alone (lib/infra/git) and of the notes without HTTP (draftReleaseNotes: the SQL,
 * the git process, parsing and rendering); it writes bench/results/<date>-notes.json and asserts nothing.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import createConnectionPool from '@databases/pg';
import pg from 'pg';
import { createOrg, createRepo, createUser } from '../lib/domain/orgs';
import { draftReleaseNotes } from '../lib/domain/releaseNotes';
import { createRelease } from '../lib/domain/releases';
import { commitsBetween } from '../lib/infra/git';
import { type CommitSpec, makeHistory } from '../scripts/lib/gitHistory';
import { migrate } from '../scripts/lib/migrate';
import { openDoor, ROOT } from './doors';

const say = (line: string) => process.stderr.write(`[bench:notes] ${line}\n`);
const { values: args } = parseArgs({
  options: { commits: { type: 'string' }, range: { type: 'string' }, rounds: { type: 'string' } },
});
const COMMITS = Number(args.commits ?? 100_000);
const RANGE = Number(args.range ?? 1000);
const ROUNDS = Number(args.rounds ?? 60);
const TYPES = ['feat', 'fix', 'docs', 'chore', 'perf', 'refactor', 'test'];

const quantile = (values: number[], q: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * q))] as number;
const ms = (value: number) => Math.round(value * 10) / 10;

async function admin(serverUrl: string, statement: string) {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

function history(count: number): CommitSpec[] {
  return Array.from({ length: count }, (_, i) => {
    const type = TYPES[i % TYPES.length] as string;
    const body = i % 5 === 0 ? `\n\nA body for change ${i}, as a real one would have.\n\nRefs: #${i}` : '';
    const breaking = i % 997 === 0 ? '\n\nBREAKING CHANGE: the old way is gone' : '';
    return { message: `${type}(area${i % 13}): change number ${i}${body}${breaking}`, author: `Author ${i % 40}` };
  });
}

async function main() {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl)
    throw new Error('set DATABASE_URL to a Postgres server (the bench makes a database of its own there)');
  const name = `gitweave_bench_notes_${randomBytes(4).toString('hex')}`;
  await admin(serverUrl, `CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.href;
  const gitReposDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gitweave-bench-git-'));
  const artifactsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gitweave-bench-artifacts-'));
  process.env.GIT_REPOS_DIR = gitReposDir;
  process.env.DATABASE_URL = databaseUrl;
  const pool = createConnectionPool({ connectionString: databaseUrl, bigIntMode: 'number' });
  let door: Awaited<ReturnType<typeof openDoor>> | undefined;
  try {
    await migrate(databaseUrl);
    const org = await createOrg(pool, 'bench');
    const repo = await createRepo(pool, org.slug, 'big');
    const user = await createUser(pool, 'bencher', { orgSlug: org.slug, role: 'release_manager' });
    let started = performance.now();
    const ids = makeHistory(path.join(gitReposDir, org.slug, 'big.git'), history(COMMITS), {
      'refs/heads/main': COMMITS - 1,
    });
    say(`${COMMITS} commits made with git fast-import in ${ms(performance.now() - started)} ms`);
    const from = ids[COMMITS - 1 - RANGE] as string;
    await createRelease(pool, { repoId: repo.id, createdBy: user.id, version: '1.0.0', commit: from });
    for (let i = 0; i < 30; i++) {
      await createRelease(pool, { repoId: repo.id, createdBy: user.id, version: `0.0.${i + 1}` });
    }

    const gitDir = path.join(gitReposDir, org.slug, 'big.git');
    const gitTimes: number[] = [];
    for (let i = 0; i < 20; i++) {
      started = performance.now();
      const read = await commitsBetween(gitDir, from, ids[COMMITS - 1] as string, 5000);
      gitTimes.push(performance.now() - started);
      if (read?.commits.length !== RANGE) throw new Error(`git read ${read?.commits.length} commits, not ${RANGE}`);
    }
    // the whole of a request's work but HTTP: the SQL, the git process(es), parsing, grouping and rendering
    const draftTimes: number[] = [];
    for (let i = 0; i < 20; i++) {
      started = performance.now();
      await draftReleaseNotes(pool, repo.id, { commit: 'main' });
      draftTimes.push(performance.now() - started);
    }

    door = await openDoor('server', databaseUrl, {
      GIT_REPOS_DIR: gitReposDir,
      ARTIFACTS_DIR: artifactsDir,
      LOG_LEVEL: 'warn',
    });
    const headers = { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' };
    const base = `${door.origin}/api/v1/repos/${repo.id}/releases`;
    const ask = {
      notes: () => fetch(`${base}/notes`, { method: 'POST', headers, body: JSON.stringify({ commit: 'main' }) }),
      list: () => fetch(base, { headers }),
    };
    const times: Record<keyof typeof ask, number[]> = { notes: [], list: [] };
    for (let warm = 0; warm < 5; warm++)
      for (const request of Object.values(ask)) await (await request()).arrayBuffer();
    const check = (await (await ask.notes()).json()) as { commits: unknown[]; nextVersion: string };
    if (check.commits.length !== RANGE) throw new Error(`the notes hold ${check.commits.length} commits, not ${RANGE}`);
    for (let round = 0; round < ROUNDS; round++) {
      // alternate which goes first, so that neither always follows the other
      const order = round % 2 ? (['list', 'notes'] as const) : (['notes', 'list'] as const);
      for (const kind of order) {
        started = performance.now();
        const res = await ask[kind]();
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`${kind} answered ${res.status}`);
        times[kind].push(performance.now() - started);
      }
    }
    const result = {
      at: new Date().toISOString(),
      commits: COMMITS,
      range: RANGE,
      rounds: ROUNDS,
      cpus: os.cpus().length,
      load: os.loadavg().map((value) => Math.round(value * 100) / 100),
      nextVersion: check.nextVersion,
      notes: { p50: ms(quantile(times.notes, 0.5)), p99: ms(quantile(times.notes, 0.99)) },
      list: { p50: ms(quantile(times.list, 0.5)), p99: ms(quantile(times.list, 0.99)) },
      gitLogInProcess: { p50: ms(quantile(gitTimes, 0.5)), p99: ms(quantile(gitTimes, 0.99)) },
      draftInProcess: { p50: ms(quantile(draftTimes, 0.5)), p99: ms(quantile(draftTimes, 0.99)) },
      ratio: {
        notesOverListP50: ms(quantile(times.notes, 0.5) / quantile(times.list, 0.5)),
        gitLogShareOfNotesP50: Math.round((quantile(gitTimes, 0.5) / quantile(times.notes, 0.5)) * 100) / 100,
      },
    };
    const out = path.join(ROOT, 'bench', 'results', `${result.at.slice(0, 10)}-notes.json`);
    fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
    say(`written ${path.relative(ROOT, out)}`);
  } finally {
    await door?.stop();
    await pool.dispose();
    await admin(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    fs.rmSync(gitReposDir, { recursive: true, force: true });
    fs.rmSync(artifactsDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
