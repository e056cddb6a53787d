import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { problemDetails } from '../../lib/http/problem';
import { BadRequest } from '../../lib/infra/errors';
import { apiEvent, lambdaContext } from '../helpers/events';

async function render(error: unknown): Promise<APIGatewayProxyStructuredResultV2> {
  const request = {
    event: apiEvent(),
    context: lambdaContext(),
    error,
    response: undefined,
    internal: {},
  } as never as {
    response: APIGatewayProxyStructuredResultV2;
  };
  await problemDetails().onError!(request as never);
  return request.response;
}

describe('Middleware: problem details', () => {
  it('renders a 500 with the request id and nothing of the error', async () => {
    const error = Object.assign(new Error('syntax error at or near "SELECT token_hash FROM api_tokens"'), {
      code: '42601',
    });
    const response = await render(error);
    expect(response.statusCode).toBe(500);
    const body = JSON.parse(response.body!);
    expect(body).toEqual({
      type: 'about:blank',
      instance: expect.stringMatching(/^urn:gitweave:request:/),
      title: 'Internal Server Error',
      status: 500,
      detail: `An unexpected error occurred; quote request id ${body.requestId} when reporting it.`,
      requestId: expect.any(String),
    });
    expect(response.body).not.toMatch(/SELECT|token_hash|42601|at .*\.ts/);
  });

  it('renders a typed problem with its status, detail and field errors', async () => {
    const response = await render(
      new BadRequest('Invalid request body: /version is required.', [
        { path: '/body/version', message: 'is required' },
      ]),
    );
    expect(response.statusCode).toBe(400);
    expect(response.headers!['content-type']).toBe('application/problem+json');
    expect(JSON.parse(response.body!)).toEqual({
      type: 'about:blank',
      instance: expect.stringMatching(/^urn:gitweave:request:/),
      title: 'Bad Request',
      status: 400,
      detail: 'Invalid request body: /version is required.',
      errors: [{ path: '/body/version', message: 'is required' }],
    });
  });

  it('renders a lost database connection as 503 with Retry-After', async () => {
    const response = await render(
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    );
    expect(response.statusCode).toBe(503);
    expect(response.headers!['Retry-After']).toBe('5');
    expect(response.body).not.toContain('5432');
  });

  it.each([
    [500, new Error('boom')],
    [400, new BadRequest('bad')],
  ])('puts the security headers on a %i', async (status, error) => {
    const response = await render(error);
    expect(response.statusCode).toBe(status);
    expect(response.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
      'x-request-id': expect.any(String),
    });
  });
});
