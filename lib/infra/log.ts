import pino, { type Logger } from 'pino';
import { config } from './config';

let logger: Logger | undefined;

/** One JSON line per event on stdout; `LOG_LEVEL` (default info) sets how much. Never log tokens or bodies. */
export function log(): Logger {
  logger ??= pino({
    level: config().logLevel,
    base: { service: 'gitweave-releases' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
  return logger;
}
