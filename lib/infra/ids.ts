const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `value` is a UUID in its canonical text form (the form of every id we issue). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
