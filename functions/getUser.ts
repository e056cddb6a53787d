import { http, ok } from '../lib/http';
import { tokens } from '../schemas/contracts/tokens';

/**
 * GET /api/v1/user: who the token belongs to, and its scopes (GitHub's GET /user). Any token may ask; the dashboard
 * uses it to offer Approve and Reject to reviewers other than the requester, and Cancel to the requester.
 */
export const handler = http(tokens.getUser, async ({ user }) =>
  ok({
    id: user.id,
    name: user.name,
    token: { id: user.token.id, scopes: user.token.scopes, expiresAt: user.token.expiresAt?.toISOString() ?? null },
  }),
);
