import type { MiddlewareObj } from '@middy/core';
import type { JSONSchema } from 'json-schema-to-ts';
import type { Contract } from '../../schemas/contract';
import { BadRequest } from '../infra/errors';
import { takesRaw } from './bodies';
import type { Event, Result, StackContext } from './context';
import { stringProblem } from './strings';
import { compileBody, compileParameters, fieldErrors } from './validation';

/**
 * Path and query parameters follow the rule of bodies: invalid UTF-8 in the URL, decoded to U+FFFD on the way
 * here, NUL or a lone surrogate is a 400 naming the parameter, never a stored replacement character.
 */
function checkParameterStrings(values: Record<string, string | undefined>, where: '/path' | '/query', label: string) {
  for (const [name, value] of Object.entries(values)) {
    const problem = value === undefined ? null : stringProblem(value);
    if (problem) {
      const inUrl = problem.replace('the body', 'the URL');
      throw new BadRequest(`The ${label} ${name} must not contain ${inUrl}.`, [
        { path: `${where}/${name}`, message: `contains ${inUrl}` },
      ]);
    }
  }
}

function validator(schema: JSONSchema | undefined, compile: typeof compileBody, where: string, label: string) {
  if (schema === undefined) return (value: unknown) => value;
  // compiled on the first request that needs it, not when the module loads: the server loads every handler, and
  // compiling all of their schemas was most of its start (a route never called costs nothing)
  let validate: ReturnType<typeof compile> | undefined;
  return (value: unknown) => {
    validate ??= compile(schema);
    if (!validate(value)) {
      const errors = fieldErrors(validate, where);
      const first = errors[0];
      throw new BadRequest(
        `Invalid ${label}${first ? `: ${first.path.slice(where.length) || '(root)'} ${first.message}` : ''}.`,
        errors,
      );
    }
    return value;
  };
}

/**
 * The input `contract` declares, checked: path and query strings, then path parameters, query parameters and a JSON
 * body against their schemas (AJV, each compiled once, on the first request that needs it), each failure a 400 naming
 * the fields; the checked values (with the schemas' defaults) are left on the context for the handler.
 */
/**
 * On the GitHub surface, the query parameters the contract does not read are left out before the checks, as GitHub
 * ignores parameters it does not know (PyGithub's `reversed` sends some); those it reads stay strictly checked.
 */
function knownParameters(contract: Pick<Contract, 'query' | 'github'>) {
  if (!contract.github) return (query: Record<string, string | undefined>) => query;
  const known = new Set(Object.keys((contract.query as { properties?: object } | undefined)?.properties ?? {}));
  return (query: Record<string, string | undefined>) =>
    Object.fromEntries(Object.entries(query).filter(([name]) => known.has(name)));
}

export function input(
  contract: Pick<Contract, 'params' | 'query' | 'body' | 'raw' | 'github'>,
): MiddlewareObj<Event, Result, Error, StackContext> {
  const known = knownParameters(contract);
  const checkParams = validator(contract.params, compileParameters, '/path', 'path parameter');
  const checkQuery = validator(contract.query, compileParameters, '/query', 'query parameter');
  const checkBody = validator(contract.body, compileBody, '/body', 'request body');
  return {
    before: async (request) => {
      const { event } = request;
      checkParameterStrings(event.pathParameters ?? {}, '/path', 'path parameter');
      const given = known(event.queryStringParameters ?? {});
      checkParameterStrings(given, '/query', 'query parameter');
      const params = checkParams({ ...(event.pathParameters ?? {}) });
      const query = checkQuery({ ...given });
      const raw = takesRaw(contract, event);
      const body = contract.body && !raw ? checkBody(event.body) : undefined;
      const bytes =
        raw && typeof event.body === 'string'
          ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8')
          : Buffer.alloc(0);
      request.context.input = { params, query, body, bytes, raw };
    },
  };
}
