/**
 * What makes a string unstorable as sent: NUL (Postgres text cannot hold it), a lone surrogate (not Unicode; the
 * driver would silently replace it), or U+FFFD (what invalid UTF-8 in the body was decoded to on its way here).
 */
export function stringProblem(value: string): string | null {
  if (value.includes('\u0000')) return 'NUL (\\u0000)';
  if (!(value as string & { isWellFormed(): boolean }).isWellFormed()) return 'unpaired UTF-16 surrogates';
  if (value.includes('\ufffd')) return 'U+FFFD (the body is not valid UTF-8)';
  return null;
}
