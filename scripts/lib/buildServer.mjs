// Builds the local-first server (server/) and everything it imports into dist/server/, one bundle each for
// server/prepare.ts, server/main.ts, the admin command and npm run migrate, with a copy of migrations/ beside them,
// unless the bundles are newer than every source file. Plain JavaScript, so that `npm start` needs no TypeScript
// loader: Node runs the bundles directly (start-up in ~0.3 s instead of ~1 s), and so does the packed release.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = path.join(ROOT, 'dist', 'server');
const SOURCES = [
  'functions',
  'lib',
  'schemas',
  'server',
  'scripts/lib',
  'scripts/admin.ts',
  'scripts/migrate.ts',
  'migrations',
  'web/dist',
  'package.json',
];
const ENTRIES = {
  prepare: 'server/prepare.ts',
  main: 'server/main.ts',
  admin: 'scripts/admin.ts',
  migrate: 'scripts/migrate.ts',
};

function newest(file) {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of fs.readdirSync(file)) latest = Math.max(latest, newest(path.join(file, entry)));
  return latest;
}

function fresh() {
  const built = Math.min(...Object.keys(ENTRIES).map((name) => newest(path.join(OUT, `${name}.mjs`)) || 0));
  return built > 0 && SOURCES.every((source) => newest(path.join(ROOT, source)) < built);
}

const LOCK = path.join(ROOT, 'dist', '.server-build.lock');

/** One builder at a time across processes (npm start beside npm test): a directory made atomically, 2 min at most. */
async function withBuildLock(fn) {
  fs.mkdirSync(path.dirname(LOCK), { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const stat = fs.statSync(LOCK, { throwIfNoEntry: false });
      // a builder that died (SIGKILL) leaves its lock behind; no build takes a minute
      if (stat && Date.now() - stat.mtimeMs > 60_000) fs.rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`${LOCK} is held by another build; remove it if none runs`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(LOCK, { recursive: true, force: true });
  }
}

/** The bundles' paths, built first if any source is newer than them. */
export async function ensureServerBuild({ force = false } = {}) {
  const outputs = Object.fromEntries(Object.keys(ENTRIES).map((name) => [name, path.join(OUT, `${name}.mjs`)]));
  if (!force && fresh()) return outputs;
  return withBuildLock(async () => {
    // another process may have built while this one waited
    if (!force && fresh()) return outputs;
    await build(outputs);
    return outputs;
  });
}

/** The commit of the checkout, or '' where there is none (a packed release built elsewhere, no git). */
function gitCommit() {
  const found = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : '';
}

async function build(outputs) {
  const { build } = await import('esbuild');
  const functionsDir = path.join(ROOT, 'functions');
  const modules = fs
    .readdirSync(functionsDir)
    .filter((file) => file.endsWith('.ts'))
    .sort();
  const handlers = {
    name: 'gitweave-handlers',
    setup(plugin) {
      plugin.onResolve({ filter: /^gitweave:handlers$/ }, () => ({ path: 'handlers', namespace: 'gitweave' }));
      plugin.onLoad({ filter: /.*/, namespace: 'gitweave' }, () => ({
        resolveDir: ROOT,
        loader: 'js',
        contents: [
          ...modules.map((file, i) => `import * as m${i} from ${JSON.stringify(`./functions/${file}`)};`),
          `export const handlerModules = {${modules.map((file, i) => `${JSON.stringify(`functions/${file.slice(0, -3)}`)}: m${i}`).join(', ')}};`,
        ].join('\n'),
      }));
    },
  };
  // a temporary folder, renamed into place: a process that starts meanwhile never runs a half-written bundle
  fs.mkdirSync(path.join(ROOT, 'dist'), { recursive: true });
  const staging = fs.mkdtempSync(path.join(ROOT, 'dist', '.server-'));
  fs.chmodSync(staging, 0o755); // mkdtemp makes it 0700; the release is read by whichever user runs it
  try {
    await build({
      absWorkingDir: ROOT,
      entryPoints: Object.entries(ENTRIES).map(([out, entry]) => ({ in: entry, out })),
      outdir: staging,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      // node_modules load as they are (one copy of each, native parts included); our own code is bundled
      packages: 'external',
      sourcemap: 'linked',
      logLevel: 'warning',
      plugins: [handlers],
      // gitweave_build_info's commit (server/metrics.ts): the one the bundle was built from
      define: { __GITWEAVE_COMMIT__: JSON.stringify(gitCommit()) },
    });
    // scripts/lib/migrate.ts reads the migrations beside its bundle: the ones it was built with
    fs.cpSync(path.join(ROOT, 'migrations'), path.join(staging, 'migrations'), {
      recursive: true,
      filter: (file) => !path.basename(file).startsWith('.'),
    });
    fs.rmSync(OUT, { recursive: true, force: true });
    fs.renameSync(staging, OUT);
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  if (!fs.existsSync(outputs.main)) throw new Error(`the server build wrote no ${outputs.main}`);
}
