-- Up Migration
-- Signed webhooks (issue 14): an org's subscriptions, one delivery per (webhook, event) made in the transaction
-- that records the event, and every attempt to deliver it.

-- `secret` is kept as sent: HMAC-SHA256 signing needs the key itself, so it cannot be hashed like a token. No
-- query of the API selects it; only the deliverer reads it (lib/domain/webhooks).
-- `events` empty: every event type.
CREATE TABLE webhooks (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id     uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
  url        text NOT NULL CHECK (length(url) <= 2048),
  events     text[] NOT NULL DEFAULT '{}',
  secret     text NOT NULL CHECK (length(secret) BETWEEN 16 AND 256),
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz(3) NOT NULL DEFAULT now()
);
-- GET /orgs/{org}/webhooks, newest first; and the trigger below, which finds an org's webhooks
CREATE INDEX webhooks_org_page ON webhooks (org_id, created_at DESC, id DESC);

-- One delivery of one event to one webhook; its id is X-GitWeave-Delivery on every attempt. `payload` is the
-- exact body sent, fixed at the first attempt so that every retry sends (and signs) the same bytes.
-- `next_attempt_at` is when the delivery may next be claimed: a claim moves it past the claimer's lease, so a
-- claimer that dies leaves a delivery that becomes due again when its lease ends. `claim` names the current
-- claim, so that an attempt that outlived its lease cannot overwrite the outcome of the one that took over.
-- `attempts` counts the claims of the retry schedule (backoff grows with it). `once`: a redelivery, which is one attempt with no retry after it.
CREATE TABLE webhook_deliveries (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  webhook_id      uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  event_id        uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  event_type      text NOT NULL,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  payload         text,
  created_at      timestamptz(3) NOT NULL DEFAULT now(),
  next_attempt_at timestamptz(3) NOT NULL DEFAULT now(),
  claim           uuid,
  attempts        integer NOT NULL DEFAULT 0,
  once            boolean NOT NULL DEFAULT false,
  UNIQUE (webhook_id, event_id)
);
-- the deliverer's claim: the oldest due pending delivery of each webhook
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (webhook_id, next_attempt_at) WHERE status = 'pending';
-- when the next pending delivery is due (the deliverer's timer)
CREATE INDEX webhook_deliveries_next ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
-- GET .../webhooks/{id}/deliveries, newest first
CREATE INDEX webhook_deliveries_page ON webhook_deliveries (webhook_id, created_at DESC, id DESC);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);

CREATE TABLE webhook_attempts (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  started_at  timestamptz(3) NOT NULL,
  duration_ms integer NOT NULL CHECK (duration_ms >= 0),
  status_code integer,
  error       text,
  redelivery  boolean NOT NULL DEFAULT false
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);

-- Every event makes its deliveries in the transaction that records it, whoever writes it, and wakes the
-- deliverers at commit (NOTIFY is sent then, and not at all on rollback).
-- The payload is the webhook's id (Postgres sends one NOTIFY per distinct payload per transaction): a deliverer
-- already sending to that webhook ignores it, and claims the new delivery when its batch is done.
CREATE FUNCTION enqueue_webhook_deliveries() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  hook uuid;
BEGIN
  FOR hook IN
    INSERT INTO webhook_deliveries (webhook_id, event_id, event_type)
    SELECT w.id, NEW.id, NEW.type FROM webhooks w
    WHERE w.org_id = NEW.org_id AND (cardinality(w.events) = 0 OR NEW.type = ANY (w.events))
    RETURNING webhook_id
  LOOP
    PERFORM pg_notify('gitweave_webhooks', hook::text);
  END LOOP;
  RETURN NULL;
END $$;

CREATE TRIGGER events_webhook_deliveries AFTER INSERT ON events
  FOR EACH ROW EXECUTE FUNCTION enqueue_webhook_deliveries();
