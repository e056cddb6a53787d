import { listTokens } from '../lib/domain/tokens';
import { http, ok, pageHeaders } from '../lib/http';
import { db } from '../lib/infra/db';
import { pageOf } from '../schemas/common';
import { listTokensQuery, tokenSummary } from '../schemas/tokens';

/** GET /api/v1/tokens: the caller's live tokens, newest first, with scopes, expiry and last use; never a secret. */
export const handler = http(
  {
    query: listTokensQuery,
    scope: 'read',
    route: 'GET /api/v1/tokens',
    summary: "List the caller's tokens (not revoked ones), newest first: name, scopes, expiry and last use",
    success: { status: 200, schema: pageOf(tokenSummary) },
  },
  async ({ query, user, path }) => {
    const page = await listTokens(db(), user.id, query);
    return ok(page, pageHeaders(path, query, page.nextCursor));
  },
);
