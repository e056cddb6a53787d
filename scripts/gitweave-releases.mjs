#!/usr/bin/env -S node --max-semi-space-size=8 --heap-growing-percent=50
// Node's flags above bound V8's young generation and its heap's growth: Node 24 lets a busy server's young generation
// grow to 128 MiB and its old space to three times what is live (docs/performance.md, "The packed release").
// The packed release's command (bundled into dist/gitweave-releases.mjs by scripts/build.mjs; it runs from there):
//   gitweave-releases serve [--serve-only]   what npm start does, from the prebuilt bundles beside it
//   gitweave-releases admin <command> …      the admin command (docs/operations.md)
//   gitweave-releases migrate                apply pending migrations and exit
//   gitweave-releases --version              the version and the commit it was built from
// Node runs the bundles directly: no build, no TypeScript loader and no npm process at run time.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { run } from './lib/run.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const bundle = (name) => path.join(HERE, 'server', `${name}.mjs`);
const USAGE = `usage: gitweave-releases serve [--serve-only] | admin <command> … | migrate | --version

  serve      prepare the database (the embedded Postgres under $DATA_DIR/postgres unless DATABASE_URL is set,
             migrations, the first org) and serve the API on HOST:PORT; --serve-only skips the preparation
  admin      orgs, repos, users, tokens, backup, restore, verify: gitweave-releases admin --help
  migrate    apply pending migrations and exit`;

const [command, ...rest] = process.argv.slice(2);
switch (command) {
  case 'serve':
    await run(async () => ({ prepare: bundle('prepare'), main: bundle('main') }), {
      serveOnly: rest.includes('--serve-only'),
    });
    break;
  case 'admin':
  case 'migrate':
    // each bundle is the script itself: it reads its arguments from process.argv and exits when done
    process.argv = [process.argv[0], bundle(command), ...rest];
    await import(pathToFileURL(bundle(command)).href);
    break;
  case '--version':
  case '-V': {
    const manifest = JSON.parse(fs.readFileSync(path.join(HERE, 'manifest.json'), 'utf8'));
    console.log(`${manifest.version} (${manifest.commit ?? 'commit unknown'})`);
    break;
  }
  case '--help':
  case '-h':
    console.log(USAGE);
    break;
  default:
    console.error(command === undefined ? USAGE : `unknown command: ${command}\n${USAGE}`);
    process.exitCode = 2;
}
