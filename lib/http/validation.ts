import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { JSONSchema } from 'json-schema-to-ts';
import { patternMessages } from '../../schemas/common';
import { isValidVersion } from '../domain/versions';
import type { FieldError } from '../infra/errors';
import { isUuid } from '../infra/ids';

function ajv(options: { coerceTypes: boolean }) {
  const instance = new Ajv({
    allErrors: true,
    strict: true,
    useDefaults: true,
    coerceTypes: options.coerceTypes,
    // our schemas carry an OpenAPI-style `example`; AJV should accept and ignore it
    keywords: ['example'],
  });
  addFormats(instance, ['uuid', 'date-time']);
  instance.addFormat('semver', { type: 'string', validate: isValidVersion });
  instance.addFormat('sha256', { type: 'string', validate: /^[0-9a-f]{64}$/ });
  instance.addFormat('release-ref', {
    type: 'string',
    validate: (value: string) => isUuid(value) || isValidVersion(value),
  });
  return instance;
}

// Path and query parameters arrive as strings, so their validator coerces ("20" → 20); bodies are JSON and are
// taken exactly as sent. Each is made on first use: a process that validates nothing does not build them.
let forBodies: Ajv | undefined;
let forParameters: Ajv | undefined;

/** Compiles `schema` for a JSON body; compile each schema once and keep the function. */
export function compileBody(schema: JSONSchema): ValidateFunction {
  forBodies ??= ajv({ coerceTypes: false });
  return forBodies.compile(schema as object);
}

/** Compiles `schema` for path or query parameters, whose strings are coerced to the schema's types. */
export function compileParameters(schema: JSONSchema): ValidateFunction {
  forParameters ??= ajv({ coerceTypes: true });
  return forParameters.compile(schema as object);
}

function message(error: ErrorObject): { path: string; message: string } {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { path: `${error.instancePath}/${String(params.missingProperty)}`, message: 'is required' };
    case 'additionalProperties':
      return { path: `${error.instancePath}/${String(params.additionalProperty)}`, message: 'is not allowed here' };
    case 'format':
      if (params.format === 'semver') {
        return { path: error.instancePath, message: 'must be a SemVer 2.0.0 version such as 1.4.0 or 2.0.0-rc.1' };
      }
      if (params.format === 'uuid') return { path: error.instancePath, message: 'must be a UUID' };
      if (params.format === 'release-ref')
        return { path: error.instancePath, message: 'must be a release id or a SemVer version' };
      if (params.format === 'sha256') return { path: error.instancePath, message: 'must be 64 lowercase hex digits' };
      return { path: error.instancePath, message: error.message ?? 'is invalid' };
    case 'pattern':
      return {
        path: error.instancePath,
        message: patternMessages[String(params.pattern)] ?? error.message ?? 'is invalid',
      };
    default:
      return { path: error.instancePath, message: error.message ?? 'is invalid' };
  }
}

/** The errors of the last run of `validate`, as field errors with JSON pointers under `prefix` ("/body", "/query"). */
export function fieldErrors(validate: ValidateFunction, prefix: string): FieldError[] {
  const seen = new Set<string>();
  const result: FieldError[] = [];
  for (const error of validate.errors ?? []) {
    const { path, message: text } = message(error);
    const entry = { path: `${prefix}${path}`, message: text };
    const key = `${entry.path} ${entry.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      result.push(entry);
    }
  }
  return result;
}
