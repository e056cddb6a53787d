/** npm run migrate: apply pending migrations to DATABASE_URL (or the embedded Postgres) and exit. */
import { openDatabase } from './lib/database';
import { migrate } from './lib/migrate';

const say = (line: string) => console.log(`[gitweave] ${line}`);
const database = await openDatabase(say);
try {
  const applied = await migrate(database.url, say);
  if (!applied.length) say('the database is up to date');
} finally {
  await database.stop();
}
process.exit(0);
