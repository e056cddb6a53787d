import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { User } from '../domain/identity';
import { log } from '../infra/log';
import { requestIdOf } from './problem';

type Handler<C extends Context> = (
  event: APIGatewayProxyEventV2,
  context: C,
) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * One JSON log line per request: request id, route, status, duration and the caller's user id; never a token,
 * a header or a body. It wraps the whole middy stack, so replayed and early answers are logged too.
 */
export function withAccessLog<C extends Context & { user?: User }>(handler: Handler<C>): Handler<C> {
  return async (event, context) => {
    const started = performance.now();
    const response = await handler(event, context);
    if (log().isLevelEnabled('info')) {
      log().info(
        {
          requestId: requestIdOf(event, context),
          route: event.routeKey,
          status: response.statusCode,
          durationMs: Math.round((performance.now() - started) * 10) / 10,
          userId: context.user?.id,
        },
        'request',
      );
    }
    return response;
  };
}
