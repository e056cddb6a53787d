/**
 * npm start: the database (DATABASE_URL, or the embedded Postgres under ./data/postgres), migrations, the first
 * org/repo/admin on an empty database, then every function served by serverless-offline on PORT.
 */
import fs from 'node:fs';
import path from 'node:path';
import createConnectionPool from '@databases/pg';
import { bootstrap } from '../lib/domain/orgs';
import { ConfigError, readConfig } from '../lib/infra/config';
import { openDatabase } from './lib/database';
import { migrate } from './lib/migrate';
import { serve } from './lib/serve';

const say = (line: string) => console.log(`[gitweave] ${line}`);

async function main() {
  const config = readConfig();
  const database = await openDatabase(say);
  let server: Awaited<ReturnType<typeof serve>> | undefined;
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await server?.stop();
    await database.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  try {
    await migrate(database.url, say);
    const pool = createConnectionPool({ connectionString: database.url, bigIntMode: 'number' });
    const created = await bootstrap(pool).finally(() => pool.dispose());
    fs.mkdirSync(config.artifactsDir, { recursive: true });
    if (created) {
      const file = path.join('data', 'bootstrap.json');
      fs.mkdirSync('data', { recursive: true });
      fs.writeFileSync(file, `${JSON.stringify(created, null, 2)}\n`, { mode: 0o600 });
      fs.chmodSync(file, 0o600);
      say(`first start: created org "default" (dev, stg, prod), repo "demo" and user "admin" (release manager)`);
      say(`admin token (shown once, also in ${file}): ${created.token}`);
    }
    server = await serve({
      databaseUrl: database.url,
      port: config.port,
      env: { ARTIFACTS_DIR: config.artifactsDir },
    });
    say(`serving the API on ${server.url} (Ctrl-C stops it)`);
    server.child.once('exit', (code) => void shutdown(code ?? 1));
  } catch (err) {
    console.error(`[gitweave] cannot start: ${err instanceof Error ? err.message : String(err)}`);
    await shutdown(1);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? `[gitweave] ${err.message}` : err);
  process.exit(1);
});
