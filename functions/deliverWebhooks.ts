import type { Context, ScheduledEvent } from 'aws-lambda';
import { deliverDue } from '../lib/domain/deliverer';
import { deliveryOptions } from '../lib/domain/deliveries';
import { config } from '../lib/infra/config';
import { db } from '../lib/infra/db';

/**
 * The deliverer on Lambda, run once a minute by a schedule (serverless.yml): sends every due webhook delivery
 * until none is due or the invocation's time runs short. `npm start` runs the same deliverer continuously instead.
 * WEBHOOK_DELIVERER=false stops it as it stops npm start's: serverless-offline runs this schedule too (`npm run dev`).
 */
export async function handler(_event: ScheduledEvent, context: Context): Promise<{ attempts: number }> {
  if (!config().webhookDeliverer) return { attempts: 0 };
  const attempts = await deliverDue(db(), deliveryOptions(config()), () => context.getRemainingTimeInMillis());
  return { attempts };
}
