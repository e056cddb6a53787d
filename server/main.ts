/**
 * The local-first server: every route of the API (schemas/contracts) served from this one process on HOST:PORT, with
 * the identity cache kept fresh by LISTEN. Bundled into dist/server/main.mjs and run by scripts/lib/run.mjs, which
 * loads it while server/prepare.ts starts the database, and calls serve() once DATABASE_URL is set.
 */
import type { AddressInfo } from 'node:net';
import { sweepStagedUploads } from '../lib/domain/artifacts';
import { startDeliverer } from '../lib/domain/deliverer';
import { deliveryOptions } from '../lib/domain/deliveries';
import { EVENTS_CHANNEL } from '../lib/domain/events';
import { IDENTITY_CHANNEL, identitySubscription, onIdentityChange } from '../lib/domain/identity';
import { WEBHOOKS_CHANNEL } from '../lib/domain/webhooks';
import { listeningOn, rereadConfig } from '../lib/infra/config';
import { closeDb, db, pingDatabase } from '../lib/infra/db';
import { listen } from '../lib/infra/listen';
import { endWaits, eventsSubscription, noticeEvents } from '../lib/infra/notices';
import { createApp } from './app';
import { functions } from './functions';
import { serveMetrics } from './metrics';

export interface Running {
  url: string;
  /** answers the requests in flight, then closes the listener and the pool */
  stop(): Promise<void>;
}

/**
 * Opens the handlers' pool and its first connection, once DATABASE_URL is set: @databases/pg waits 100 ms before a
 * pool's first connection, which run.mjs has happen while the database is migrated rather than in the first request.
 */
export async function openPool(): Promise<void> {
  rereadConfig();
  await pingDatabase(db()).catch(() => undefined); // the requests say what is wrong
}

export async function serve(): Promise<Running> {
  // the handlers' modules read the configuration when they were loaded, maybe beside the database's start (before
  // DATABASE_URL was set, scripts/lib/run.mjs): what they read is replaced by the environment as it is now
  const config = rereadConfig();
  if (!config.databaseUrl) throw new Error('DATABASE_URL is not set');
  // every change to a token or a membership reaches this process's identity cache at once (lib/domain/identity);
  // nothing is cached until the subscription is up, nor while it is being re-made
  // and every recorded event wakes the feed's long-polling readers waiting on its org (lib/infra/notices)
  identitySubscription(false);
  // webhook deliveries are sent from here too: woken by the NOTIFY of new ones, on the same LISTEN connection
  // (unless WEBHOOK_DELIVERER=false: other servers, or the scheduled function, send them)
  const deliverer = config.webhookDeliverer ? startDeliverer(db(), deliveryOptions(config)) : undefined;
  const listener = listen(
    config.databaseUrl,
    {
      [IDENTITY_CHANNEL]: onIdentityChange,
      [EVENTS_CHANNEL]: noticeEvents,
      [WEBHOOKS_CHANNEL]: (webhookId) => deliverer?.wake(webhookId),
    },
    (listening) => {
      identitySubscription(listening);
      eventsSubscription(listening);
      if (listening) deliverer?.wake(); // what was NOTIFYd while not listening
    },
  );
  const app = createApp(functions());
  const swept = await sweepStagedUploads();
  if (swept > 0) console.log(`[gitweave] removed ${swept} staged upload(s) that a crash left on the volume`);
  try {
    await new Promise<void>((resolve, reject) => {
      app.server.once('error', reject);
      app.server.listen(config.port, config.host, () => resolve());
    });
  } catch (err) {
    await listener.stop();
    await deliverer?.stop();
    throw err;
  }
  let metricsServer: Awaited<ReturnType<typeof serveMetrics>> | undefined;
  if (config.metricsPort !== undefined) {
    try {
      metricsServer = await serveMetrics(config.host, config.metricsPort);
    } catch (err) {
      await app.stop();
      await listener.stop();
      await deliverer?.stop();
      throw err;
    }
  }
  // the port asked for, or the one the OS picked for PORT=0
  const { port } = app.server.address() as AddressInfo;
  if (config.port === 0) listeningOn(port);
  return {
    url: `http://${config.host}:${port}/api/v1`,
    async stop() {
      // long-polling readers of the feed answer now, so that they do not hold the stop
      endWaits();
      metricsServer?.closeAllConnections();
      metricsServer?.close();
      await app.stop();
      await listener.stop();
      await deliverer?.stop();
      await closeDb();
    },
  };
}
