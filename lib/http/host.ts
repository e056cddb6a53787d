import type { MiddlewareObj } from '@middy/core';
import { BadRequest } from '../infra/errors';
import type { Event, Result, StackContext } from './context';

// RFC 3986's host (an IP literal in brackets, or a name of unreserved, sub-delims and percent-encoded characters),
// then an optional port of at most five digits
const HOST =
  /^(?:\[[0-9A-Fa-f:.]+\]|\[v[0-9A-Fa-f]+\.[\w.~!$&'()*+,;=:-]+\]|(?:[\w.~!$&'()*+,;=-]|%[0-9A-Fa-f]{2})+)(?::(\d{0,5}))?$/;

/** True when `value` is a Host header RFC 9112 allows: `host[:port]`, the port at most 65535. */
export function validHost(value: string): boolean {
  const match = HOST.exec(value);
  return match !== null && (match[1] === undefined || match[1] === '' || Number(match[1]) <= 65535);
}

/** The 400 for a malformed Host header (RFC 9112, section 3.2: a server must answer 400). */
export function badHost(value: string): BadRequest {
  return new BadRequest(`The Host header is not a valid host[:port]: ${JSON.stringify(value.slice(0, 200))}.`, [
    { path: '/headers/host', message: 'must be a host name or IP address, with an optional port up to 65535' },
  ]);
}

/** Refuses a request whose Host header is malformed, on every route, before anything reads it. */
export function hostHeader(): MiddlewareObj<Event, Result, Error, StackContext> {
  return {
    before: (request) => {
      const host = request.event.headers?.host;
      if (host !== undefined && !validHost(host)) throw badHost(host);
    },
  };
}
