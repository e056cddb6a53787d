/**
 * What `npm start` does before it serves: the database (DATABASE_URL, or the embedded Postgres under
 * $DATA_DIR/postgres), migrations, and the first org/repo/admin on an empty database. Bundled apart from the server
 * (scripts/start.mjs), so that the handlers' modules read DATABASE_URL only once it is known.
 */
import fs from 'node:fs';
import path from 'node:path';
import createConnectionPool from '@databases/pg';
import { bootstrap } from '../lib/domain/orgs';
import { readConfig } from '../lib/infra/config';
import { type Database, openDatabase } from '../scripts/lib/database';
import { migrate } from '../scripts/lib/migrate';

export type { Database };

export async function prepare(say: (line: string) => void): Promise<Database> {
  const config = readConfig();
  const database = await openDatabase(say);
  try {
    await migrate(database.url, say);
    const pool = createConnectionPool({ connectionString: database.url, bigIntMode: 'number' });
    const created = await bootstrap(pool).finally(() => pool.dispose());
    fs.mkdirSync(config.artifactsDir, { recursive: true });
    if (created) {
      const file = path.join(config.dataDir, 'bootstrap.json');
      fs.mkdirSync(config.dataDir, { recursive: true });
      fs.writeFileSync(file, `${JSON.stringify(created, null, 2)}\n`, { mode: 0o600 });
      fs.chmodSync(file, 0o600);
      say(`first start: created org "default" (dev, stg, prod), repo "demo" and user "admin" (release manager)`);
      say(`admin token (shown once, also in ${file}): ${created.token}`);
    }
    return database;
  } catch (err) {
    await database.stop();
    throw err;
  }
}
