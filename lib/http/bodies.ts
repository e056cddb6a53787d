import type { MiddlewareObj } from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { Contract } from '../../schemas/contract';
import { BadRequest, PayloadTooLarge, UnsupportedMediaType } from '../infra/errors';
import type { Event, Result, StackContext } from './context';
import { stringProblem } from './strings';

/** The largest JSON body any endpoint accepts. */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;
const MAX_JSON_DEPTH = 32;

/** The largest body `contract`'s endpoint takes: its raw bytes' limit, or a JSON body's. */
export function maxBodyBytes(contract: Pick<Contract, 'raw'>): number {
  return Math.max(contract.raw?.maxBytes ?? 0, MAX_JSON_BODY_BYTES);
}

/** The exact length of the body as sent: base64 is measured decoded, its `=` padding not counted. */
export function bodyBytes(event: Pick<Event, 'body' | 'isBase64Encoded'>): number {
  if (typeof event.body !== 'string') return 0;
  return Buffer.byteLength(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
}

/** Unstorable strings and absurd nesting are never a valid request: both are 400. */
function checkJsonShape(value: unknown): void {
  const stack: Array<[unknown, string, number]> = [[value, '', 0]];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [item, path, depth] = next;
    if (typeof item === 'string') {
      const problem = stringProblem(item);
      if (problem)
        throw new BadRequest(`Strings must not contain ${problem}.`, [
          { path: `/body${path}`, message: `contains ${problem}` },
        ]);
    } else if (item !== null && typeof item === 'object') {
      if (depth >= MAX_JSON_DEPTH)
        throw new BadRequest(`The request body is nested deeper than ${MAX_JSON_DEPTH} levels.`);
      for (const [key, child] of Object.entries(item)) {
        if (stringProblem(key)) throw new BadRequest(`Property names must not contain ${stringProblem(key)}.`);
        stack.push([child, `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, depth + 1]);
      }
    }
  }
}

/** The media type of the body, lowercased without parameters (media types are case-insensitive, RFC 9110 8.3.1). */
function contentTypeOf(event: Event): string | undefined {
  return event.headers?.['content-type']?.split(';')[0]?.trim().toLowerCase();
}

/**
 * Only `application/json`, in any case and with UTF-8 as the only charset, is JSON here; anything else, or a body
 * with no Content-Type, is a 415. The parser is then handed the one header it recognises, so its own, looser,
 * check (any `+json`, case-sensitive) never decides.
 */
function requireJson(event: Event): void {
  const value = event.headers?.['content-type'];
  if (value === undefined || value.trim() === '') {
    throw new UnsupportedMediaType('The request body has no Content-Type: send Content-Type: application/json.');
  }
  const [type, ...parameters] = value.split(';').map((part) => part.trim().toLowerCase());
  if (type !== 'application/json') {
    throw new UnsupportedMediaType(`The request body must be JSON: send Content-Type: application/json, not ${type}.`);
  }
  const charset = parameters.find((parameter) => parameter.startsWith('charset='));
  if (charset && charset.replace(/^charset="?|"$/g, '') !== 'utf-8') {
    throw new UnsupportedMediaType('JSON must be UTF-8: send Content-Type: application/json; charset=utf-8.');
  }
  event.headers = { ...event.headers, 'content-type': 'application/json' };
}

/** True when `event`'s body is the raw bytes `contract` takes (any body at all where it takes `*`). */
export function takesRaw(contract: Pick<Contract, 'raw'>, event: Event): boolean {
  if (!contract.raw) return false;
  if (contract.raw.contentType === '*') return true;
  return contentTypeOf(event) === contract.raw.contentType;
}

/**
 * The body of an endpoint that takes JSON, raw bytes (`raw` in its contract), or either, told apart by
 * Content-Type. JSON is size-checked, then parsed by @middy/http-json-body-parser and checked for unstorable strings
 * and depth; raw bytes are size-checked and left for `input`.
 */
export function requestBody(
  contract: Pick<Contract, 'raw' | 'body'>,
): MiddlewareObj<Event, Result, Error, StackContext> {
  const json = httpJsonBodyParser();
  const raw = contract.raw;
  return {
    before: async (request) => {
      const { event } = request;
      if (raw && (takesRaw(contract, event) || !contract.body)) {
        if (!takesRaw(contract, event)) {
          throw new UnsupportedMediaType(`Send the file as the request body with Content-Type: ${raw.contentType}.`);
        }
        if (bodyBytes(event) > raw.maxBytes) {
          throw new PayloadTooLarge(`The file is larger than the limit of ${raw.maxBytes} bytes.`);
        }
        // a body passed as text was decoded as UTF-8 on its way here: U+FFFD means bytes were lost
        if (!event.isBase64Encoded && event.body?.includes('\ufffd')) {
          throw new BadRequest(
            `The file arrived as text (Content-Type: ${contentTypeOf(event)}) and is not valid UTF-8, so its bytes would be altered: send it as application/octet-stream.`,
            [{ path: '/headers/content-type', message: 'send binary files as application/octet-stream' }],
          );
        }
        return;
      }
      if (bodyBytes(event) > MAX_JSON_BODY_BYTES) {
        throw new PayloadTooLarge(`The request body is larger than ${MAX_JSON_BODY_BYTES} bytes.`);
      }
      if (event.body === undefined || event.body === null || event.body === '') {
        throw new BadRequest('The request body is empty; send a JSON object.');
      }
      requireJson(event);
      await json.before?.(request as never);
      checkJsonShape(event.body);
    },
  };
}
