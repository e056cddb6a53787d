// npm run mutate: a mutation-testing pass, not part of npm test (docs/development.md, Mutation testing). Each mutant
// is a test run, so the scope is measured: the modules below, against the unit test files that cover them.
// Another set: npm run mutate -- --mutate 'lib/domain/releases.ts', with MUTATE_TESTS naming the test files that
// cover it and MUTATE_PROJECTS=unit,integration plus DATABASE_URL for those that need the database.

// read by vitest.mutate.config.ts in the test runner processes, which inherit this environment
process.env.MUTATE_TESTS ??= [
  'test/unit/versions.test.ts',
  'test/unit/conventionalCommits.test.ts',
  'test/unit/deploymentRules.test.ts',
  'test/unit/cursor.test.ts',
  'test/unit/webhookRules.test.ts',
].join(',');

export default {
  testRunner: 'vitest',
  // related: false, because with related mode the runner (9.6 on vitest 4.1) runs no test at all for a static mutant
  // and reports it survived; without it a static mutant runs every file of MUTATE_TESTS
  vitest: { configFile: 'vitest.mutate.config.ts', related: false },
  mutate: [
    'lib/domain/versions.ts',
    'lib/domain/conventionalCommits.ts',
    'lib/domain/deploymentTimes.ts',
    'lib/infra/cursor.ts',
    'lib/infra/addresses.ts',
  ],
  coverageAnalysis: 'perTest',
  // one test runner: the machines this runs on are shared
  concurrency: 1,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  // the sandbox is the git-tracked files, less these, plus the built dashboard that a unit test imports
  ignorePatterns: ['data', 'dist', 'bench/results', 'reports', '!web/dist'],
  cleanTempDir: 'always',
  thresholds: { high: 90, low: 75, break: null },
};
