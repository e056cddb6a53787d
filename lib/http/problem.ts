import type { MiddlewareObj } from '@middy/core';
import { isDatabaseUnavailable } from '../infra/db';
import { BadRequest, HttpProblem, NotReady, ServiceUnavailable, UnsupportedMediaType } from '../infra/errors';
import { log } from '../infra/log';
import { type Event, type Result, requestIdOf, type StackContext } from './context';
import { type GithubEndpoint, renderGithubError } from './github';
import { commonHeaders, serialise } from './responses';

/** Maps what a handler or middleware threw to the problem a client sees; anything unexpected is a bare 500. */
function toProblem(error: unknown): HttpProblem | null {
  if (error instanceof HttpProblem) return error;
  if (isDatabaseUnavailable(error)) return new ServiceUnavailable('The database is unavailable; retry shortly.');
  // @middy/http-json-body-parser throws 415 for both a wrong content type and malformed JSON
  const middyError = error as { statusCode?: number; message?: string; cause?: { package?: string; message?: string } };
  if (middyError?.cause?.package === '@middy/http-json-body-parser') {
    if (middyError.message === 'Unsupported Media Type') {
      return new UnsupportedMediaType('The request body must be JSON: send Content-Type: application/json.');
    }
    const reason = middyError.cause.message;
    return new BadRequest(
      reason ? `The request body is not valid JSON: ${reason}` : 'The request body is not valid JSON.',
    );
  }
  return null;
}

/** The problem's `instance` (RFC 9457: a URI naming this occurrence): the request's id, as in X-Request-Id. */
function requestUrn(requestId: string): string {
  return `urn:gitweave:request:${requestId}`;
}

export function renderProblem(problem: HttpProblem, requestId: string): Result {
  const body: Record<string, unknown> = {
    type: 'about:blank',
    title: problem.title,
    status: problem.status,
    detail: problem.message,
    instance: requestUrn(requestId),
  };
  if (problem.errors?.length) body.errors = problem.errors;
  if (problem instanceof NotReady) body.checks = problem.checks;
  return serialise(
    {
      status: problem.status,
      text: JSON.stringify(body),
      headers: { 'content-type': 'application/problem+json', ...problem.headers },
    },
    requestId,
  );
}

/**
 * Renders every failure as RFC 9457 problem+json, or in GitHub's shape for an endpoint of the GitHub-compatible
 * surface; a 500 carries only the request id, the cause goes to the log.
 */
export function problemDetails(github?: GithubEndpoint): MiddlewareObj<Event, Result, Error, StackContext> {
  return {
    onError: async (request) => {
      const requestId = requestIdOf(request.event, request.context);
      const problem = toProblem(request.error);
      if (problem) {
        if (problem.status >= 500) log().warn({ requestId, err: request.error }, 'request failed: %s', problem.message);
        request.response = github ? renderGithubError(problem, requestId, github) : renderProblem(problem, requestId);
        return;
      }
      log().error({ requestId, err: request.error }, 'unexpected error');
      if (github) {
        const message = `Server Error: quote request id ${requestId} when reporting it.`;
        request.response = renderGithubError(new HttpProblem(500, 'Server Error', message), requestId, github);
        return;
      }
      request.response = {
        statusCode: 500,
        headers: { ...commonHeaders(requestId), 'content-type': 'application/problem+json' },
        body: JSON.stringify({
          type: 'about:blank',
          title: 'Internal Server Error',
          status: 500,
          detail: `An unexpected error occurred; quote request id ${requestId} when reporting it.`,
          instance: requestUrn(requestId),
          requestId,
        }),
      };
    },
  };
}
