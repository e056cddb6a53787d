import { createHash } from 'node:crypto';
import type { MiddlewareObj } from '@middy/core';
import { claimKey, purgeExpiredKeys, releaseKey, storeResponse } from '../domain/idempotency';
import { db } from '../infra/db';
import { BadRequest } from '../infra/errors';
import { log } from '../infra/log';
import type { Event, Result, StackContext } from './context';

type Ctx = StackContext;

// printable ASCII but the comma: API Gateway joins a repeated header with commas, so a comma means two keys
const KEY_PATTERN = /^[\x21-\x2b\x2d-\x7e]{1,255}$/;

function fingerprint(event: Event): Buffer {
  return (
    createHash('sha256')
      .update(`${event.requestContext?.http?.method ?? ''} ${event.rawPath ?? ''}?${event.rawQueryString ?? ''}\n`)
      // a JSON body is parsed by then: its canonical text, so that only a different request is a different body
      .update(typeof event.body === 'string' ? event.body : JSON.stringify(event.body ?? ''))
      .digest()
  );
}

/**
 * `Idempotency-Key` on a POST (as Stripe's API has it): the first request with a key runs and its response is kept
 * for 24 hours; a repeat with the same key and request gets that response again, marked `Idempotent-Replayed`, and
 * writes nothing. Two middlewares: `claim` runs once the request is authenticated and its input checked (keys are per
 * caller; as at Stripe, a request refused before the endpoint runs stores nothing) and leaves a stored answer on the
 * context for the handler step to send; `keep` comes before the problem layer in the stack, so that it stores
 * the response as the endpoint answered it, problem details included. A 5xx is not kept: a retry runs afresh.
 */
export function idempotency(): {
  claim: MiddlewareObj<Event, Result, Error, Ctx>;
  keep: MiddlewareObj<Event, Result, Error, Ctx>;
} {
  const keep = async (request: { context: Ctx; response: Result | null | undefined }) => {
    const { idempotencyKey: key, user, replay } = request.context;
    if (!key || !user || replay) return;
    const response = request.response;
    try {
      if (response && (response.statusCode ?? 500) < 500) {
        await storeResponse(db(), user.id, key, {
          statusCode: response.statusCode ?? 200,
          headers: Object.fromEntries(Object.entries(response.headers ?? {}).map(([k, v]) => [k, String(v)])),
          body: typeof response.body === 'string' ? response.body : '',
        });
      } else {
        await releaseKey(db(), user.id, key);
      }
    } catch (err) {
      // the write itself succeeded; a retry with this key waits out the reservation, then runs again
      log().warn({ requestId: request.context.requestId, err }, 'could not keep the response of an idempotent request');
    }
  };
  return {
    claim: {
      before: async (request) => {
        const key = request.event.headers?.['idempotency-key'];
        if (key === undefined) return;
        if (key.includes(',')) {
          throw new BadRequest('The Idempotency-Key header was sent more than once; send exactly one.', [
            { path: '/headers/idempotency-key', message: 'was sent more than once' },
          ]);
        }
        if (!KEY_PATTERN.test(key)) {
          throw new BadRequest(
            'Idempotency-Key must be 1 to 255 printable ASCII characters other than a comma (a UUID is a good choice).',
            [{ path: '/headers/idempotency-key', message: 'must be 1 to 255 printable ASCII characters, no comma' }],
          );
        }
        const user = request.context.user;
        if (!user) throw new Error('bearerAuth runs first and sets the user; reaching here without one is a bug');
        if (Math.random() < 0.01) await purgeExpiredKeys(db());
        const stored = await claimKey(db(), { userId: user.id, key, fingerprint: fingerprint(request.event) });
        if (stored) {
          request.context.replay = {
            statusCode: stored.statusCode,
            headers: { ...stored.headers, 'idempotent-replayed': 'true' },
            body: stored.body,
          };
          return;
        }
        request.context.idempotencyKey = key;
      },
    },
    keep: { after: keep, onError: keep },
  };
}

/** An endpoint whose answer may not be kept says so, rather than let a client believe its retries are safe. */
export function refuseIdempotencyKey(): MiddlewareObj<Event, Result, Error, Ctx> {
  return {
    before: async (request) => {
      if (request.event.headers?.['idempotency-key'] === undefined) return;
      throw new BadRequest(
        'This endpoint takes no Idempotency-Key: its answer holds a secret that is never stored, so it cannot be replayed. Send the request without one; if an answer is lost, revoke the token it made (GET /tokens lists it).',
        [{ path: '/headers/idempotency-key', message: 'is not accepted here' }],
      );
    },
  };
}
