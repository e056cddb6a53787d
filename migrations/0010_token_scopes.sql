-- Up Migration
-- Scoped, expiring tokens (issue 15). Every token written before this had full access, so the default is every
-- scope: existing tokens keep working exactly as they did. A constant default adds the column without a rewrite.
ALTER TABLE api_tokens
  ADD COLUMN scopes text[] NOT NULL DEFAULT '{read,release,deploy,admin}'
    CONSTRAINT api_tokens_known_scopes
    CHECK (cardinality(scopes) > 0 AND scopes <@ '{read,release,deploy,admin}'::text[]),
  ADD COLUMN expires_at timestamptz(3);

-- GET /tokens: a user's live tokens, newest first, keyset-paginated
CREATE INDEX api_tokens_user_page ON api_tokens (user_id, created_at DESC, id DESC) WHERE revoked_at IS NULL;

-- Servers cache a token's scopes and expiry with its user (migration 0009): narrowing either must reach them too.
DROP TRIGGER api_tokens_identity ON api_tokens;
CREATE TRIGGER api_tokens_identity AFTER UPDATE OF revoked_at, user_id, token_hash, scopes, expires_at OR DELETE
  ON api_tokens FOR EACH ROW EXECUTE FUNCTION notify_identity_change();
