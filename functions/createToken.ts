import { createToken } from '../lib/domain/tokens';
import { created, http } from '../lib/http';
import { db } from '../lib/infra/db';
import { createdToken, createTokenBody } from '../schemas/tokens';

/** POST /api/v1/tokens: a new token for the caller, no broader and no longer-lived than the token that asks. */
export const handler = http(
  {
    body: createTokenBody,
    // any token may ask, since what it may grant is bounded by its own scopes and expiry (lib/domain/tokens)
    scope: null,
    route: 'POST /api/v1/tokens',
    summary: "Issue a token for the caller with some of its own token's scopes (the secret is shown only here)",
    success: { status: 201, schema: createdToken },
    idempotent: false,
  },
  async ({ body, user }) => {
    const token = await createToken(db(), user.id, body, user.token);
    return created(`/api/v1/tokens/${token.id}`, token);
  },
);
