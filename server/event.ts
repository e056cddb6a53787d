import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** Content types whose bodies API Gateway passes as text; any other body arrives base64-encoded. */
const TEXT_TYPES = /^(text\/|application\/([a-z0-9.+-]*\+)?(json|xml|javascript|x-www-form-urlencoded)\b)/i;

/** `name=value` pairs of a raw query string, repeats comma-joined, as API Gateway gives them to a function. */
function queryParameters(rawQueryString: string): Record<string, string> | undefined {
  if (rawQueryString === '') return undefined;
  const parameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    parameters[name] = name in parameters ? `${parameters[name]},${value}` : value;
  }
  return parameters;
}

export interface RouteMatch {
  /** `GET /api/v1/repos/{repo}/releases`, as serverless.yml declares it */
  routeKey: string;
  /** already percent-decoded */
  pathParameters: Record<string, string>;
}

/**
 * The API Gateway HTTP API (payload format 2.0) event for `request`, built as API Gateway builds it: header names
 * lower-cased with repeats comma-joined, cookies apart, the raw path and query string, decoded query and path
 * parameters, and a body that is text for textual content types and base64 for anything else.
 * See https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 */
export function apiGatewayEvent(
  request: IncomingMessage,
  route: RouteMatch,
  body: Buffer | undefined,
  now = Date.now(),
): APIGatewayProxyEventV2 {
  const target = request.url ?? '/';
  const mark = target.indexOf('?');
  const rawPath = mark === -1 ? target : target.slice(0, mark);
  const rawQueryString = mark === -1 ? '' : target.slice(mark + 1);
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  const raw = request.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    if (name === 'cookie') {
      cookies = (cookies ?? []).concat(value.split(/;\s*/).filter(Boolean));
      continue;
    }
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  const requestId = randomUUID();
  const routeKey = route.routeKey;
  const contentType = headers['content-type'] ?? '';
  const text = body !== undefined && TEXT_TYPES.test(contentType);
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString,
    headers,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0] ?? 'localhost',
      http: {
        method: request.method ?? 'GET',
        path: rawPath,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey,
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
    isBase64Encoded: body !== undefined && !text,
  };
  if (cookies) event.cookies = cookies;
  const query = queryParameters(rawQueryString);
  if (query) event.queryStringParameters = query;
  if (Object.keys(route.pathParameters).length > 0) event.pathParameters = route.pathParameters;
  if (body !== undefined) event.body = text ? body.toString('utf8') : body.toString('base64');
  return event;
}
