import { revokeTokenById } from '../lib/domain/tokens';
import { http, noContent } from '../lib/http';
import { db } from '../lib/infra/db';
import { tokenParams } from '../schemas/tokens';

/** DELETE /api/v1/tokens/{id}: revoke one of the caller's tokens, on every server from the next request on. */
export const handler = http(
  {
    params: tokenParams,
    // any token may revoke, but only a token no broader than itself (lib/domain/tokens)
    scope: null,
    route: 'DELETE /api/v1/tokens/{id}',
    summary: "Revoke one of the caller's tokens (one whose scopes the token sent has too)",
    success: { status: 204, schema: null },
    problems: [403],
  },
  async ({ params, user }) => {
    await revokeTokenById(db(), params.id, { userId: user.id, scopes: user.token.scopes });
    return noContent();
  },
);
