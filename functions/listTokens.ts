import { listTokens } from '../lib/domain/tokens';
import { http, ok, pageHeaders } from '../lib/http';
import { db } from '../lib/infra/db';
import { tokens } from '../schemas/contracts/tokens';

/** GET /api/v1/tokens: the caller's live tokens, newest first, with scopes, expiry and last use; never a secret. */
export const handler = http(tokens.listTokens, async ({ query, user, path }) => {
  const page = await listTokens(db(), user.id, query);
  return ok(page, pageHeaders(path, query, page.nextCursor));
});
