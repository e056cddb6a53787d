#!/usr/bin/env node
// npm run build (and npm pack's prepack): dist/ as the packed release runs it, after build:web and build:cli.
//   dist/server/          the server (prepare, main), the admin command and migrate, bundled, with migrations/
//   dist/gitweave-releases.mjs   serve | admin | migrate (scripts/gitweave-releases.mjs)
//   dist/gitweave-release.mjs    the CLI (bin/gitweave-release.mjs)
//   dist/manifest.json    name, version, the commit it was built from, when
// The dashboard is inside the server bundle (web/dist/assets.json, imported by its functions).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { ensureServerBuild } from './lib/buildServer.mjs';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

/** The commit: GITWEAVE_COMMIT (an image built without .git), else git's, marked when the tree had changes. */
function commit() {
  if (process.env.GITWEAVE_COMMIT) return process.env.GITWEAVE_COMMIT;
  try {
    const git = (...args) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' }).trim();
    const head = git('rev-parse', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no') ? `${head}-dirty` : head;
  } catch {
    return null;
  }
}

await ensureServerBuild({ force: true });
await build({
  absWorkingDir: ROOT,
  entryPoints: ['scripts/gitweave-releases.mjs'],
  outfile: path.join(DIST, 'gitweave-releases.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
fs.copyFileSync(path.join(ROOT, 'bin', 'gitweave-release.mjs'), path.join(DIST, 'gitweave-release.mjs'));
for (const bin of ['gitweave-releases.mjs', 'gitweave-release.mjs']) fs.chmodSync(path.join(DIST, bin), 0o755);
const manifest = { name: pkg.name, version: pkg.version, commit: commit(), builtAt: new Date().toISOString() };
fs.writeFileSync(path.join(DIST, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`[gitweave] built dist/ for ${pkg.name} ${pkg.version} (${manifest.commit ?? 'commit unknown'})`);
