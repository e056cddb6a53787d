/** npm run migrate: apply pending migrations to DATABASE_URL (or the embedded Postgres) and exit. */
import { openDatabase } from './lib/database';
import { MigrationChanged, migrate } from './lib/migrate';

const say = (line: string) => console.log(`[gitweave] ${line}`);
const database = await openDatabase(say);
try {
  const applied = await migrate(database.url, say);
  if (!applied.length) say('the database is up to date');
} catch (err) {
  // one line, no stack: a refusal (changed, gone or newer migrations) is 2, anything else 1
  console.error(`[gitweave] cannot migrate: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = err instanceof MigrationChanged ? 2 : 1;
} finally {
  await database.stop();
}
process.exit(process.exitCode ?? 0);
