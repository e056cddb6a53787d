// Starts an embedded Postgres and waits to be killed: the test SIGKILLs this process to leave the server orphaned.
import { startEmbedded } from '../../scripts/lib/database';

const [dataDir, port] = process.argv.slice(2);
await startEmbedded({ dataDir: dataDir!, port: Number(port), database: 'child', fast: true });
process.stdout.write('ready\n');
setInterval(() => undefined, 1000);
