import { pageOf } from '../common';
import { contract } from '../contract';
import { createdToken, createTokenBody, currentUser, listTokensQuery, tokenParams, tokenSummary } from '../tokens';

/** The routes of tokens. */
export const tokens = {
  createToken: contract({
    method: 'POST',
    path: '/api/v1/tokens',
    scope: null,
    body: createTokenBody,
    // any token may ask, since what it may grant is bounded by its own scopes and expiry (lib/domain/tokens)
    summary: "Issue a token for the caller with some of its own token's scopes (the secret is shown only here)",
    success: { status: 201, schema: createdToken },
    idempotent: false,
  }),
  listTokens: contract({
    method: 'GET',
    path: '/api/v1/tokens',
    scope: 'read',
    query: listTokensQuery,
    summary: "List the caller's tokens (not revoked ones), newest first: name, scopes, expiry and last use",
    success: { status: 200, schema: pageOf(tokenSummary) },
  }),
  deleteToken: contract({
    method: 'DELETE',
    path: '/api/v1/tokens/{id}',
    scope: null,
    params: tokenParams,
    // any token may revoke, but only a token no broader than itself (lib/domain/tokens)
    summary: "Revoke one of the caller's tokens (one whose scopes the token sent has too)",
    success: { status: 204, schema: null },
    problems: [403],
  }),
  getUser: contract({
    method: 'GET',
    path: '/api/v1/user',
    scope: null,
    summary: "The caller: the token's user (id and name) and the token's scopes and expiry",
    success: { status: 200, schema: currentUser },
  }),
};
