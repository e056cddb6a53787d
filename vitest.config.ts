import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // one Postgres (embedded, or DATABASE_URL) and one serverless-offline for the whole run
    globalSetup: ['test/helpers/globalSetup.ts'],
    setupFiles: ['test/helpers/setupEnv.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    allowOnly: false,
  },
});
