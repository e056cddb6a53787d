// Starts an embedded Postgres and prints `ready <url>`; then, by its third argument: `wait` (the default) waits to be
// killed (a SIGKILL leaves the server orphaned; a SIGTERM stops what it started, as npm start does), `once` stops at
// once, as a short admin command does.
import { startEmbedded } from '../../scripts/lib/database';

const [dataDir, port, mode = 'wait'] = process.argv.slice(2);
const database = await startEmbedded({
  dataDir: dataDir!,
  port: Number(port),
  database: 'child',
  fast: true,
  log: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(`ready ${database.url}\n`);
if (mode === 'once') {
  await database.stop();
  process.exit(0);
}
process.on('SIGTERM', () => void database.stop().then(() => process.exit(0)));
setInterval(() => undefined, 1000);
