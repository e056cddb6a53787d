/** One problem with one field of a request: `path` is a JSON pointer into the part named by the problem's detail. */
export interface FieldError {
  path: string;
  message: string;
}

/**
 * A failure a client can act on. The HTTP layer renders it as an RFC 9457 problem with this status,
 * title and detail; anything that is not an HttpProblem becomes a 500 that reveals nothing.
 */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    detail: string,
    readonly errors?: FieldError[],
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = new.target.name;
  }
}

export class BadRequest extends HttpProblem {
  constructor(detail: string, errors?: FieldError[]) {
    super(400, 'Bad Request', detail, errors);
  }
}

export class Unauthorized extends HttpProblem {
  /** `missing`: the request carried no credentials at all (GitHub says "Requires authentication", not "Bad credentials") */
  constructor(
    detail: string,
    readonly credentials: 'missing' | 'invalid' = 'invalid',
  ) {
    super(401, 'Unauthorized', detail, undefined, { 'WWW-Authenticate': 'Bearer realm="gitweave"' });
  }
}

export class Forbidden extends HttpProblem {
  constructor(detail: string) {
    super(403, 'Forbidden', detail);
  }
}

export class NotFound extends HttpProblem {
  constructor(detail: string) {
    super(404, 'Not Found', detail);
  }
}

export class Conflict extends HttpProblem {
  constructor(detail: string, errors?: FieldError[]) {
    super(409, 'Conflict', detail, errors);
  }
}

export class PayloadTooLarge extends HttpProblem {
  constructor(detail: string) {
    super(413, 'Content Too Large', detail);
  }
}

export class UnsupportedMediaType extends HttpProblem {
  constructor(detail: string) {
    super(415, 'Unsupported Media Type', detail);
  }
}

export class Unprocessable extends HttpProblem {
  constructor(detail: string, errors?: FieldError[]) {
    super(422, 'Unprocessable Content', detail, errors);
  }
}

export class ServiceUnavailable extends HttpProblem {
  constructor(detail: string, retryAfterSeconds = 5) {
    super(503, 'Service Unavailable', detail, undefined, { 'Retry-After': String(retryAfterSeconds) });
  }
}

/** Readiness refused: 503 naming each failing check in `errors`, and every check's result as the `checks` member. */
export class NotReady extends HttpProblem {
  constructor(
    detail: string,
    errors: FieldError[],
    readonly checks: Record<string, unknown>,
  ) {
    super(503, 'Service Unavailable', detail, errors, { 'Retry-After': '5' });
  }
}

export class MethodNotAllowed extends HttpProblem {
  constructor(detail: string, allow: string[]) {
    super(405, 'Method Not Allowed', detail, undefined, { Allow: allow.join(', ') });
  }
}

export class RangeNotSatisfiable extends HttpProblem {
  constructor(detail: string, sizeBytes: number) {
    super(416, 'Range Not Satisfiable', detail, undefined, { 'Content-Range': `bytes */${sizeBytes}` });
  }
}

/** A response larger than the door it would leave by can carry (Lambda's payload limit); ranges of it can be sent. */
export class ResponseTooLarge extends HttpProblem {
  constructor(detail: string) {
    super(413, 'Content Too Large', detail, undefined, { 'Accept-Ranges': 'bytes' });
  }
}
