import { defineConfig } from 'vitest/config';

// The real parts (a Postgres, a volume, the server over HTTP) come from test/helpers/globalSetup.ts, once per
// project that needs them; unit tests need none and run in seconds (npm run test:unit).
// test/helpers/loopbackGuardSetup.ts comes first in every project: nothing in a run reaches beyond loopback.
const guard = 'test/helpers/loopbackGuardSetup.ts';
const withDatabase = {
  globalSetup: [guard, 'test/helpers/globalSetup.ts'],
  setupFiles: ['test/helpers/setupEnv.ts'],
  testTimeout: 30_000,
  hookTimeout: 120_000,
};

// CI names the Node major each pass is for (EXPECT_NODE_MAJOR): a pass meant for Node 24 that found another node
// first on PATH would otherwise pass as a second run on the first pass's Node
const expectedNode = process.env.EXPECT_NODE_MAJOR;
const nodeMajor = process.versions.node.split('.')[0];
if (expectedNode && expectedNode !== nodeMajor) {
  throw new Error(`EXPECT_NODE_MAJOR is ${expectedNode}, but the tests run on Node ${process.versions.node}`);
}

export default defineConfig({
  test: {
    pool: 'forks',
    // two files at a time: the suite spends most of its time waiting on other processes (Postgres, the servers it
    // starts, git, gh), and vitest's default on a 2-CPU machine (CPUs - 1) ran every file alone: 651 s against 478 s
    // with two, on the same loaded machine. Files share the run's database, never their rows: each makes its own org
    maxWorkers: 2,
    allowOnly: false,
    // in CI, a declared test that did not run (skipped, todo, left pending) fails the run
    reporters: process.env.CI === 'true' ? ['default', './test/helpers/everyTestRan.ts'] : ['default'],
    projects: [
      {
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], globalSetup: [guard], env: { LOG_LEVEL: 'fatal' } },
      },
      { test: { name: 'integration', include: ['test/integration/**/*.test.ts'], ...withDatabase } },
      // E2E_DOOR=offline runs the same files through serverless-offline (npm run dev) instead of npm start's server
      { test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], ...withDatabase } },
      // Chromium's pages wait on a server and a browser at once: on two CPUs, beside another file, a page once took
      // longer than the test allows to show a release; so the browser files run last, after every other project
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          ...withDatabase,
          sequence: { groupOrder: 1 },
        },
      },
      // the packed release, its image's steps and npm run dev, each from a clean install: minutes apiece, so not part
      // of npm test; CI runs them once (npm run test:release), the package on Node 24
      { test: { name: 'release', include: ['test/release/**/*.test.ts'], ...withDatabase } },
    ],
  },
});
