#!/usr/bin/env node
// The lockfile that installs a packed release (npm pack's tarball) with exactly the dependencies its source was built
// and tested with: the project's package-lock.json, the tarball in place of the project, what only development needs
// left out. `npm install <tarball>` alone resolves every dependency again from the registry's latest matching
// versions; `npm ci --omit=dev` over this lockfile installs the tested ones, from npm's cache when they are there.
//   node scripts/releaseLock.mjs <tarball> <project lockfile> <install dir>
// writes <install dir>/package.json and package-lock.json and copies the tarball there (scripts/image-steps.sh and
// the release tests run it; then `npm ci --omit=dev`).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Writes the install directory's package.json and lockfile for `tarball`, from `lockfile`; copies the tarball in. */
export function writeReleaseLock(tarball, lockfile, dir) {
  const lock = JSON.parse(fs.readFileSync(lockfile, 'utf8'));
  const { name, devDependencies: _dev, ...project } = lock.packages?.[''] ?? {};
  if (!name) throw new Error(`${lockfile} names no project`);
  const file = `file:${path.basename(tarball)}`;
  const packages = {
    '': { dependencies: { [name]: file } },
    [`node_modules/${name}`]: { ...project, resolved: file },
  };
  for (const [key, entry] of Object.entries(lock.packages)) if (key && !entry.dev) packages[key] = entry;
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(tarball, path.join(dir, path.basename(tarball)));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ private: true, dependencies: { [name]: file } }));
  fs.writeFileSync(
    path.join(dir, 'package-lock.json'),
    JSON.stringify({ name: 'release-install', lockfileVersion: 3, requires: true, packages }),
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const [tarball, lockfile, dir] = process.argv.slice(2);
  if (!tarball || !lockfile || !dir) {
    process.stderr.write('usage: node scripts/releaseLock.mjs <tarball> <project lockfile> <install dir>\n');
    process.exit(2);
  }
  writeReleaseLock(tarball, lockfile, dir);
}
