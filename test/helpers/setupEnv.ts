import { inject } from 'vitest';

// before any test module imports lib/infra/config: the handlers under test use the run's database and volume
process.env.DATABASE_URL = inject('databaseUrl');
process.env.ARTIFACTS_DIR = inject('artifactsDir');
process.env.LOG_LEVEL ||= 'fatal';
