import type { FromSchema, JSONSchema } from 'json-schema-to-ts';

declare const TYPE: unique symbol;

/** A schema that carries, as a phantom, the type of the values it accepts (nothing is added at run time). */
export type Typed<T> = JSONSchema & { readonly [TYPE]?: T };

/**
 * Marks `schema` with its FromSchema type once, where it is defined, so that code generic over schemas (the HTTP
 * layer) reads the type instead of re-deriving it.
 */
export function typed<const S extends JSONSchema>(schema: S): S & Typed<FromSchema<S>> {
  return schema as S & Typed<FromSchema<S>>;
}
