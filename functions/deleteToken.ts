import { revokeTokenById } from '../lib/domain/tokens';
import { http, noContent } from '../lib/http';
import { db } from '../lib/infra/db';
import { tokens } from '../schemas/contracts/tokens';

/** DELETE /api/v1/tokens/{id}: revoke one of the caller's tokens, on every server from the next request on. */
export const handler = http(tokens.deleteToken, async ({ params, user }) => {
  await revokeTokenById(db(), params.id, { userId: user.id, scopes: user.token.scopes });
  return noContent();
});
