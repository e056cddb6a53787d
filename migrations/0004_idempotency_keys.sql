-- Up Migration
-- Responses to POSTs sent with an Idempotency-Key, kept 24 hours so that a retry gets the first answer instead of
-- a second write. A row without a status is a request still running (or one whose process died).
CREATE TABLE idempotency_keys (
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  key         text NOT NULL,
  fingerprint bytea NOT NULL,
  status      integer,
  headers     jsonb,
  body        text,
  created_at  timestamptz(3) NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
