import { createToken } from '../lib/domain/tokens';
import { created, http } from '../lib/http';
import { db } from '../lib/infra/db';
import { tokens } from '../schemas/contracts/tokens';

/** POST /api/v1/tokens: a new token for the caller, no broader and no longer-lived than the token that asks. */
export const handler = http(tokens.createToken, async ({ body, user }) => {
  const token = await createToken(db(), user.id, body, user.token);
  return created(`/api/v1/tokens/${token.id}`, token);
});
