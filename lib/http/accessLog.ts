import type { MiddlewareObj } from '@middy/core';
import { log } from '../infra/log';
import { type Event, type Result, requestIdOf, type StackContext } from './context';

/**
 * One JSON log line per request: request id, route, status, duration and the caller's user id; never a token,
 * a header or a body. Its `after` and `onError` run last of the stack, so every answer is logged as it is sent:
 * problems, replays and refusals before authentication included.
 */
export function accessLog(): MiddlewareObj<Event, Result, Error, StackContext> {
  const started = new WeakMap<object, number>();
  const write = async (request: { event: Event; context: StackContext; response: Result | null | undefined }) => {
    if (!log().isLevelEnabled('info')) return;
    const start = started.get(request.context);
    log().info(
      {
        requestId: requestIdOf(request.event, request.context),
        route: request.event.routeKey,
        status: request.response?.statusCode,
        durationMs: start === undefined ? undefined : Math.round((performance.now() - start) * 10) / 10,
        userId: request.context.user?.id,
      },
      'request',
    );
  };
  return {
    before: async (request) => {
      started.set(request.context, performance.now());
    },
    after: write,
    onError: write,
  };
}
