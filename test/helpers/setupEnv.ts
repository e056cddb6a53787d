import { inject } from 'vitest';

// before any test module imports lib/infra/config: the handlers under test use the run's database and volume
process.env.DATABASE_URL = inject('databaseUrl');
process.env.ARTIFACTS_DIR = inject('artifactsDir');
process.env.GIT_REPOS_DIR = inject('gitReposDir');
process.env.LOG_LEVEL ||= 'fatal';
// no server a test starts sends webhooks unless the test asks for it (WEBHOOK_DELIVERER: 'true' in the server's env):
// a deliverer claims the deliveries of every org on its database, other files' included
process.env.WEBHOOK_DELIVERER = 'false';
