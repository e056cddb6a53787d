import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { acceptedRequestId, type Event, requestIdOf, type StackContext } from '../../lib/http/context';
import { sqlStateOf, statusClass } from '../../lib/infra/metrics';

const event = (headers: Record<string, string>) =>
  ({ headers, requestContext: { requestId: 'gateway' } }) as unknown as Event;
const context = () => ({ awsRequestId: 'lambda-invocation' }) as StackContext & Context;

describe('request ids', () => {
  it("accepts a client's id of 1 to 200 letters, digits and ._~:@/+=-", () => {
    for (const id of ['a', 'ci-run.42:step/7', 'Root=1-5759e988-bd862e3fe1be46a994272793', 'x'.repeat(200)]) {
      expect(acceptedRequestId(id)).toBe(id);
    }
  });

  it('refuses an empty, long, spaced, control-character, comma-joined or markup id', () => {
    for (const id of ['', 'x'.repeat(201), 'a b', 'a\nb', 'a\u0000b', 'a,b', '<script>', 'é', undefined]) {
      expect(acceptedRequestId(id)).toBeUndefined();
    }
  });

  it("uses the client's id, else the invocation's, and keeps the first answer for the request", () => {
    const given = context();
    expect(requestIdOf(event({ 'x-request-id': 'from-the-proxy' }), given)).toBe('from-the-proxy');
    expect(given.requestId).toBe('from-the-proxy');
    expect(requestIdOf(event({}), given)).toBe('from-the-proxy');
    expect(requestIdOf(event({ 'x-request-id': 'bad id' }), context())).toBe('lambda-invocation');
  });
});

describe('metric labels', () => {
  it('are status classes and SQL states, never the values as given', () => {
    expect([statusClass(204), statusClass(404), statusClass(503), statusClass(999)]).toEqual([
      '2xx',
      '4xx',
      '5xx',
      'other',
    ]);
    expect(sqlStateOf({ code: '23505' })).toBe('23505');
    expect(sqlStateOf({ code: 'ECONNREFUSED' })).toBe('none');
    expect(sqlStateOf(new Error('timeout'))).toBe('none');
  });
});
