import pino from 'pino';
import { config } from './config';

/** One JSON line per event on stdout; `LOG_LEVEL` (default info) sets how much. Never log tokens or bodies. */
export const log = pino({
  level: config.logLevel,
  base: { service: 'gitweave-releases' },
  timestamp: pino.stdTimeFunctions.isoTime,
});
