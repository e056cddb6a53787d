/** One page of a GitHub list: 1-based `page`, `per_page` at most 100 (GitHub reads more as 100). */
export interface GithubPage {
  page: number;
  limit: number;
  offset: number;
  /** a keyset position from a `next` link: the page starts after it, whatever `page` says */
  cursor?: string;
}

export function githubPage(query: { page?: number; per_page?: number; cursor?: string }): GithubPage {
  const page = query.page ?? 1;
  const limit = Math.min(query.per_page ?? 30, 100);
  return { page, limit, offset: (page - 1) * limit, cursor: query.cursor };
}

/**
 * GitHub's Link header for `page` of a list of `total` items at `origin``path`?`query` (its other parameters kept);
 * `next` resumes at `nextCursor` where the list gives one, so that following it reads from a keyset position.
 */
export function pageLinks(
  origin: string,
  path: string,
  query: Record<string, unknown>,
  page: GithubPage,
  list: { total: number; nextCursor?: string | null },
): Record<string, string> {
  const url = new URL(`${origin}${path}`);
  for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, String(value));
  url.searchParams.set('per_page', String(page.limit));
  const lastPage = Math.max(1, Math.ceil(list.total / page.limit));
  const link = (to: number, rel: string, cursor: string | null = null) => {
    const target = new URL(url);
    target.searchParams.delete('cursor');
    target.searchParams.set('page', String(to));
    if (cursor) target.searchParams.set('cursor', cursor);
    return `<${target.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page.page > 1) links.push(link(page.page - 1, 'prev'));
  if (page.page < lastPage) links.push(link(page.page + 1, 'next', list.nextCursor ?? null), link(lastPage, 'last'));
  if (page.page > 1) links.push(link(1, 'first'));
  return links.length ? { link: links.join(', ') } : {};
}
