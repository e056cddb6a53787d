import type { MiddlewareObj } from '@middy/core';
import { isUuid } from '../infra/ids';
import type { Event, Result, StackContext } from './context';

/**
 * Takes every UUID in the path in its canonical lower case, before anything reads the path: a UUID is the same id
 * in either case, and one written in upper case would otherwise name files (`repos/{id}/`) and cursors of its own.
 */
export function pathIds(): MiddlewareObj<Event, Result, Error, StackContext> {
  return {
    before: (request) => {
      const given = request.event.pathParameters;
      if (!given) return;
      const canonical: Record<string, string | undefined> = {};
      for (const [name, value] of Object.entries(given)) {
        canonical[name] = value !== undefined && isUuid(value) ? value.toLowerCase() : value;
      }
      request.event.pathParameters = canonical;
    },
  };
}
