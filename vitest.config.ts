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

export default defineConfig({
  test: {
    pool: 'forks',
    allowOnly: false,
    projects: [
      {
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], globalSetup: [guard], env: { LOG_LEVEL: 'fatal' } },
      },
      { test: { name: 'integration', include: ['test/integration/**/*.test.ts'], ...withDatabase } },
      // E2E_DOOR=offline runs the same files through serverless-offline (npm run dev) instead of npm start's server
      { test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], ...withDatabase } },
      { test: { name: 'browser', include: ['test/browser/**/*.test.ts'], ...withDatabase } },
    ],
  },
});
