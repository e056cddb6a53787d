import type { JSONSchema } from 'json-schema-to-ts';
import type { Scope } from './tokens';
import type { Typed } from './typed';

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/**
 * One route of the API, declared once. serverless.yml's functions are generated from these (npm run generate; a test
 * keeps them equal), npm start's server routes by them, the handler's input types and checks come from them
 * (lib/http), and so does the OpenAPI document, without loading a handler. Data only: no code of the server's here.
 */
export type Audience = Scope | null | 'public';

export interface Contract<
  P = unknown,
  Q = unknown,
  B = unknown,
  S extends Audience = Audience,
  A extends 'repo' | undefined = 'repo' | undefined,
> {
  method: Method;
  /** the path as API Gateway writes it: `/api/v1/repos/{repo}/releases` */
  path: string;
  /** schema of the path parameters */
  params?: Typed<P>;
  /** schema of the query string parameters */
  query?: Typed<Q>;
  /** schema of the JSON body; without one (and without `raw`), the endpoint takes no body */
  body?: Typed<B>;
  /**
   * the endpoint takes raw bytes of this content type, up to `maxBytes`, instead of JSON; `*` takes a body of any
   * type as bytes (GitHub's asset upload: the type is the asset's)
   */
  raw?: { contentType: string; maxBytes: number };
  /**
   * a GitHub-compatible endpoint (/api/v3, /api/uploads): its errors are GitHub's `{ message, documentation_url,
   * errors }` with GitHub's statuses, `resource` naming what `errors` are about
   */
  github?: { docs: string; resource: string };
  /**
   * who may call: `public`, anyone, with no token (health, the API document, the dashboard); null, any token (the
   * token endpoints bound what they do by the caller's token themselves); else the scope a token needs: read for
   * every GET, release for artifacts and releases, deploy for deployments, admin for environments and webhooks
   */
  scope: S;
  /**
   * 'repo': the path names a repo by id (`{repo}`), and only members of its org may see it; the handler is given the
   * caller's access to it, and anyone else gets the 404 of a repo that does not exist
   */
  access?: A;
  /** one line for the API document */
  summary: string;
  /** the success status and the schema of its body (null: no JSON body), for the API document */
  success: { status: number; schema: JSONSchema | null };
  /** problem statuses this endpoint answers beyond those every endpoint of its kind can */
  problems?: number[];
  /** the success body is a file's bytes, of any media type, with ranges and revalidation (lib/http/download.ts) */
  download?: true;
  /**
   * false: the endpoint refuses an Idempotency-Key (400), since keeping its answer for replays would store what
   * must never be stored (a new token's secret)
   */
  idempotent?: false;
}

/** A contract, with the types of its parameters and body inferred from its schemas, its scope and access kept. */
export function contract<
  P = undefined,
  Q = undefined,
  B = undefined,
  const S extends Audience = Audience,
  const A extends 'repo' | undefined = undefined,
>(route: Contract<P, Q, B, S, A>): Contract<P, Q, B, S, A> {
  return route;
}
