import { http, ok } from '../lib/http';
import { currentUser } from '../schemas/tokens';

/**
 * GET /api/v1/user: who the token belongs to, and its scopes (GitHub's GET /user). Any token may ask; the dashboard
 * uses it to offer Approve and Reject to reviewers other than the requester, and Cancel to the requester.
 */
export const handler = http(
  {
    scope: null,
    route: 'GET /api/v1/user',
    summary: "The caller: the token's user (id and name) and the token's scopes and expiry",
    success: { status: 200, schema: currentUser },
  },
  async ({ user }) =>
    ok({
      id: user.id,
      name: user.name,
      token: { id: user.token.id, scopes: user.token.scopes, expiresAt: user.token.expiresAt?.toISOString() ?? null },
    }),
);
