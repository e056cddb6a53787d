// What `npm start` and the packed release's `gitweave-releases serve` do once the bundles are there: prepare the
// database (server/prepare.ts; skipped with serveOnly, which needs DATABASE_URL), then serve (server/main.ts). One
// process: SIGINT or SIGTERM to it answers the requests in flight, then stops the pool and the embedded Postgres.
import { pathToFileURL } from 'node:url';

const say = (line) => console.log(`[gitweave] ${line}`);

/** `bundles()` gives the paths of the prepare and main bundles (npm start builds them first when stale). */
export async function run(bundles, { serveOnly = false } = {}) {
  // whether it starts a Postgres of its own (read before it sets DATABASE_URL for the handlers)
  const embedded = !serveOnly && !process.env.DATABASE_URL;
  let database;
  let running;
  let stopping = false;
  async function shutdown(code, signal) {
    if (stopping) return;
    stopping = true;
    // each step said once it is done, so that a process manager's log (and a test) shows the order
    if (signal && running) say(`${signal}: new connections are refused; answering the requests already taken`);
    try {
      if (running) {
        await running.stop();
        say('stopped serving: every request taken was answered, the database pool is closed');
      }
    } finally {
      if (database) {
        await database.stop();
        if (embedded) say('the embedded Postgres is stopped');
      }
      process.exit(code);
    }
  }
  process.on('SIGINT', () => void shutdown(0, 'SIGINT'));
  process.on('SIGTERM', () => void shutdown(0, 'SIGTERM'));

  try {
    const { prepare, main } = await bundles();
    // the server's modules load while Postgres starts (they took a third of the start after it): once it runs, not
    // before, lest their loading delay its start. serve() reads the configuration again once DATABASE_URL is set. A
    // module that fails to load is reported once the preparation is done.
    let loading;
    const load = () => {
      loading ??= import(pathToFileURL(main).href);
      loading.catch(() => undefined);
      return loading;
    };
    if (!serveOnly) {
      const bundle = await import(pathToFileURL(prepare).href);
      database = await bundle.prepare(say, {
        whileStarting: load,
        opened(url) {
          // the handlers read it from the environment, as on Lambda, when they first query: their pool is opened
          // while the migrations run
          process.env.DATABASE_URL = url;
          load().then(
            (server) => server.openPool(),
            () => undefined,
          );
        },
      });
      // a dead embedded Postgres is not waited out: one line naming it, and exit 1 for the service manager to restart
      // the whole (the next start recovers the cluster); a DATABASE_URL's server is awaited, each request a 503 meanwhile
      database.onLost?.((reason) => {
        if (stopping) return;
        console.error(`[gitweave] exiting: ${reason}`);
        process.exit(1);
      });
    }
    const { serve } = await load();
    running = await serve();
    say(`serving the API on ${running.url} (Ctrl-C stops it)`);
  } catch (err) {
    console.error(`[gitweave] cannot start: ${err instanceof Error ? err.message : String(err)}`);
    await shutdown(1);
  }
}
