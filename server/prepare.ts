/**
 * What `npm start` does before it serves: the database (DATABASE_URL, or the embedded Postgres under
 * $DATA_DIR/postgres), migrations, and the first org/repo/admin on an empty database. Bundled apart from the server,
 * whose modules scripts/lib/run.mjs loads while this one waits for Postgres (`hooks`).
 */
import fs from 'node:fs';
import path from 'node:path';
import createConnectionPool, { sql } from '@databases/pg';
import { bootstrap } from '../lib/domain/orgs';
import { readConfig } from '../lib/infra/config';
import { type Database, openDatabase } from '../scripts/lib/database';
import { migrate } from '../scripts/lib/migrate';

export type { Database };

interface Hooks {
  /** called once Postgres runs (at once for DATABASE_URL's), while it gets ready to accept connections */
  whileStarting?: () => void;
  /** called with its URL once it accepts connections, before the migrations */
  opened?: (url: string) => void;
}

export async function prepare(say: (line: string) => void, hooks: Hooks = {}): Promise<Database> {
  const config = readConfig();
  const database = await openDatabase(say, hooks.whileStarting);
  try {
    hooks.opened?.(database.url);
    const pool = createConnectionPool({ connectionString: database.url, bigIntMode: 'number' });
    // @databases/pg waits 100 ms before a pool's first connection: that wait runs beside the migrations
    const connected = pool.query(sql`SELECT 1`).then(
      () => undefined,
      () => undefined, // bootstrap's own query says what is wrong
    );
    await migrate(database.url, say).catch(async (err: unknown) => {
      await connected;
      await pool.dispose();
      throw err;
    });
    await connected;
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
