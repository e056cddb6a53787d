import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import FindMyWay from 'find-my-way';
import { MAX_JSON_BODY_BYTES, maxBodyBytes } from '../lib/http/bodies';
import { preflight } from '../lib/http/cors';
import type { StreamingDoor } from '../lib/http/download';
import { GITHUB_UNROUTED, onGithubSurface } from '../lib/http/github';
import { badHost, validHost } from '../lib/http/host';
import { BadRequest, MethodNotAllowed, NotFound } from '../lib/infra/errors';
import { log } from '../lib/infra/log';
import { metrics, statusClass } from '../lib/infra/metrics';
import { apiGatewayEvent } from './event';
import type { Route } from './routes';
import { type Result, readBody, requestIdOfRaw, sendProblem, sendResult, validPercentEncoding } from './transport';

type LambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<Result>;

/** A route with its handler loaded. */
export interface Served extends Route {
  handler: LambdaHandler;
}

export interface AppOptions {
  /** how long a client may take to send its headers (slowloris) */
  headersTimeoutMs?: number;
  /** how long a client may take to send a whole request */
  requestTimeoutMs?: number;
  /** idle time before a kept-alive connection is closed */
  keepAliveTimeoutMs?: number;
  /** the Lambda timeout a handler sees through context.getRemainingTimeInMillis() */
  functionTimeoutMs?: number;
  /** how often Node checks the two timeouts above (its default is 30 s) */
  timeoutCheckIntervalMs?: number;
}

interface Target {
  fn: Served;
  routeKey: string;
  maxBodyBytes: number;
  observe: Observe;
}

/** Counts an answer and its time in the metrics, under one route template and method (never the raw path). */
type Observe = (status: number, seconds: number) => void;

function observer(route: string, method: string): Observe {
  // one label object per status class, made once: the hot path allocates nothing
  const byClass: Array<{ route: string; method: string; status: string } | undefined> = [];
  return (status, seconds) => {
    const index = Math.floor(status / 100);
    let labels = byClass[index];
    if (!labels) {
      labels = { route, method, status: statusClass(status) };
      byClass[index] = labels;
    }
    metrics.requests.inc(labels);
    metrics.requestSeconds.observe(labels, seconds);
  };
}

/** Where an answer's metrics go, set by `serve` once the request is routed. */
const OBSERVE = Symbol('observe');
type Observed = ServerResponse & { [OBSERVE]?: Observe };

/** `/api/v1/repos/{repo}` (API Gateway) → `/api/v1/repos/:repo` (find-my-way). */
function routerPath(path: string): string {
  return path.replace(/\{([^}/]+?)\+?\}/g, ':$1');
}

/** The context of one invocation; `streams`: the invocation came through this server's HTTP door (StreamingDoor). */
function lambdaContext(fn: Served, timeoutMs: number, streams = false): Context & Partial<StreamingDoor> {
  const deadline = Date.now() + timeoutMs;
  // one literal, and the door's field set after it: with a spread ahead of its fields, building it took Node 20
  // ~15 µs (a tenth of a microsecond without), about 2% of a read's CPU in bench:compare's profiles
  const context: Context & Partial<StreamingDoor> = {
    callbackWaitsForEmptyEventLoop: false,
    functionName: fn.name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${fn.name}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${fn.name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  if (streams) context.streamsFiles = true;
  return context;
}

/**
 * The local-first server: every function of serverless.yml behind a find-my-way router, each request turned into
 * the API Gateway event Lambda would get and answered with what the handler returns. No rule of the API lives
 * here; unknown routes, methods, bodies over a function's limit and malformed paths get problem+json.
 * It also offers Lambda's Invoke door, POST /2015-03-31/functions/{name}/invocations, with the event as body.
 */
export function createApp(functions: Served[], options: AppOptions = {}) {
  const router = FindMyWay({ caseSensitive: true, ignoreTrailingSlash: false, maxParamLength: 2048 });
  const byName = new Map<string, Served>();
  const functionTimeoutMs = options.functionTimeoutMs ?? 29_000;
  for (const fn of functions) {
    byName.set(fn.name, fn);
    const target: Target = {
      fn,
      routeKey: `${fn.method} ${fn.path}`,
      maxBodyBytes: maxBodyBytes(fn.contract),
      observe: observer(fn.path, fn.method),
    };
    router.on(fn.method as FindMyWay.HTTPMethod, routerPath(fn.path), () => undefined, target);
  }
  const methods = [...new Set(functions.map((fn) => fn.method))];
  // what no route matched is counted under `unmatched`, by method when it is one of HTTP's (else `other`)
  const unmatched = new Map(
    [...methods, 'HEAD', 'OPTIONS', 'other'].map((method) => [method, observer('unmatched', method)] as const),
  );
  const invocations = observer('/2015-03-31/functions/{name}/invocations', 'POST');

  // the answers not yet begun: when the server stops, each says Connection: close
  const answering = new Set<ServerResponse>();
  let stopping = false;

  async function invoke(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    const fn = byName.get(name);
    if (!fn) return sendProblem(res, new NotFound(`No function named ${name}.`));
    const body = await readBody(req, res, MAX_JSON_BODY_BYTES);
    if (body === null) return;
    let event: unknown;
    try {
      event = JSON.parse(body?.toString('utf8') ?? '{}');
    } catch {
      event = undefined;
    }
    // Lambda hands a function whatever JSON it is given; our handlers take an API Gateway event, an object
    if (event === null || typeof event !== 'object' || Array.isArray(event)) {
      return sendProblem(res, new BadRequest('The invocation payload must be a JSON object: an API Gateway event.'));
    }
    const result = await fn.handler(event as APIGatewayProxyEventV2, lambdaContext(fn, functionTimeoutMs));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
  }

  async function serve(req: IncomingMessage, res: Observed): Promise<void> {
    const url = req.url ?? '/';
    const mark = url.indexOf('?');
    const path = mark === -1 ? url : url.slice(0, mark);
    const method = req.method ?? 'GET';
    res[OBSERVE] = unmatched.get(method) ?? (unmatched.get('other') as Observe);
    // RFC 9112: a malformed Host is a 400, whatever the route (Node's parser lets `a b` or `x:99999` through)
    const host = req.headers.host;
    if (host !== undefined && !validHost(host)) return sendProblem(res, badHost(host));
    if (!validPercentEncoding(path)) {
      return sendProblem(res, new BadRequest(`The request path is not valid percent-encoding: ${path.slice(0, 200)}`));
    }
    // HEAD is answered wherever GET is (RFC 9110 9.3.2): by the GET's handler, which leaves out the body
    const found =
      router.find(method as FindMyWay.HTTPMethod, path) ?? (method === 'HEAD' ? router.find('GET', path) : null);
    if (!found) {
      if (method === 'POST') {
        const invocation = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(path);
        if (invocation?.[1]) {
          res[OBSERVE] = invocations;
          return invoke(req, res, decodeURIComponent(invocation[1]));
        }
      }
      const allowed = methods.filter((other) => other !== method && router.find(other as FindMyWay.HTTPMethod, path));
      if (method === 'OPTIONS' && allowed.length > 0) {
        // a CORS preflight: no function is routed for OPTIONS, the rule of who may call is lib/http/cors's
        const event = apiGatewayEvent(req, { routeKey: `OPTIONS ${path}`, pathParameters: {} }, undefined);
        return sendResult(res, preflight(event));
      }
      // GitHub's surface answers what it does not serve as GitHub does, a wrong method included: 404 Not Found in
      // GitHub's shape, the words its clients map to their own errors (serverless.yml's ghUnrouted on the other doors)
      if (onGithubSurface(path)) return sendProblem(res, new NotFound('Not Found'), false, GITHUB_UNROUTED);
      if (allowed.length > 0) {
        const allow = allowed.includes('GET') ? [...allowed, 'HEAD'] : allowed;
        return sendProblem(res, new MethodNotAllowed(`${method} is not allowed on ${path}.`, allow));
      }
      return sendProblem(res, new NotFound(`No route matches ${method} ${path.slice(0, 200)}.`));
    }
    const target = found.store as Target;
    res[OBSERVE] = target.observe;
    const body = await readBody(req, res, target.maxBodyBytes, target.fn.contract.github);
    if (body === null) return;
    const pathParameters: Record<string, string> = {};
    for (const [name, value] of Object.entries(found.params)) if (value !== undefined) pathParameters[name] = value;
    const routeKey = method === 'HEAD' ? `HEAD ${target.fn.path}` : target.routeKey;
    const event = apiGatewayEvent(req, { routeKey, pathParameters }, body);
    const result = await target.fn.handler(event, lambdaContext(target.fn, functionTimeoutMs, true));
    sendResult(res, result);
  }

  const server = http.createServer(
    { connectionsCheckingInterval: options.timeoutCheckIntervalMs ?? 1_000 },
    (req, res) => {
      // a request on a connection the server took is answered even while it stops, and then the connection closes
      if (stopping) res.setHeader('connection', 'close');
      answering.add(res);
      const started = performance.now();
      res.once('close', () => {
        answering.delete(res);
        (res as Observed)[OBSERVE]?.(res.statusCode, (performance.now() - started) / 1000);
      });
      serve(req, res).catch((err: unknown) => {
        // handlers render their own failures; reaching here is a bug in this file or a handler's wrapper
        log().error({ requestId: requestIdOfRaw(req), err }, 'the server failed to answer a request');
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/problem+json' });
          res.end(JSON.stringify({ type: 'about:blank', title: 'Internal Server Error', status: 500 }));
        } else res.destroy();
      });
    },
  );
  // what Node's HTTP parser refuses before any route sees it (a 100 KiB header, a slow client, a malformed request
  // line) is answered as problem+json too, rather than Node's bare status line
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || err.code === 'ECONNRESET') return socket.destroy();
    const [status, title, detail] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'The request headers are larger than the server accepts (16 KiB).']
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request Timeout', 'The request was not received in time.']
          : [400, 'Bad Request', 'The request is not valid HTTP/1.1.'];
    const body = JSON.stringify({ type: 'about:blank', title, status, detail });
    socket.end(
      `HTTP/1.1 ${status} ${title}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
  server.headersTimeout = options.headersTimeoutMs ?? 10_000;
  server.requestTimeout = options.requestTimeoutMs ?? 60_000;
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 5_000;

  return {
    server,
    /**
     * Stops taking connections at once (a new one is refused) and answers every request on a connection it had
     * taken, each answer with Connection: close; an idle kept-alive connection closes at the keep-alive timeout it
     * advertised, unless a request comes on it first. Closing idle connections at once (as server.close() does)
     * would race a request a client is sending on one. After `graceMs`, whatever is still open is closed.
     */
    async stop(graceMs = 10_000): Promise<void> {
      stopping = true;
      for (const res of answering) if (!res.headersSent) res.setHeader('connection', 'close');
      // net.Server's close: the listener only, and its callback once every connection has ended
      const closed = new Promise<void>((resolve) => net.Server.prototype.close.call(server, () => resolve()));
      const grace = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(grace);
    },
  };
}
