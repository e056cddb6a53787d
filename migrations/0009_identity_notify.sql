-- Up Migration
-- Servers cache what a token resolves to (its user and memberships). Every change that could take access away
-- NOTIFYs them from the writing transaction, at its commit, whoever writes it (API, admin command, psql).
CREATE FUNCTION notify_identity_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed jsonb := to_jsonb(COALESCE(OLD, NEW));
BEGIN
  IF TG_TABLE_NAME = 'api_tokens' THEN
    PERFORM pg_notify('gitweave_identity', 'token:' || encode((COALESCE(OLD, NEW)).token_hash, 'hex'));
  ELSIF TG_TABLE_NAME = 'users' THEN
    PERFORM pg_notify('gitweave_identity', 'user:' || (changed ->> 'id'));
  ELSE
    PERFORM pg_notify('gitweave_identity', 'user:' || (changed ->> 'user_id'));
  END IF;
  RETURN NULL;
END $$;

-- last_used_at changes once a minute per token and takes nothing away: it is not an identity change
CREATE TRIGGER api_tokens_identity AFTER UPDATE OF revoked_at, user_id, token_hash OR DELETE ON api_tokens
  FOR EACH ROW EXECUTE FUNCTION notify_identity_change();
CREATE TRIGGER memberships_identity AFTER INSERT OR UPDATE OR DELETE ON memberships
  FOR EACH ROW EXECUTE FUNCTION notify_identity_change();
CREATE TRIGGER users_identity AFTER UPDATE OF name OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION notify_identity_change();
