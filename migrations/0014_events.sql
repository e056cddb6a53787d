-- Up Migration
-- Events (issue 14): one row per change of a release, deployment or environment, written in the transaction of the
-- change. Readers of the feed and webhook deliveries read them in (txid, seq) order and only below the oldest
-- transaction still in flight (pg_snapshot_xmin), so a page never skips a row that commits later.
CREATE TABLE events (
  seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,                 -- order within a transaction
  id          uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,                  -- the public event id
  txid        xid8 NOT NULL DEFAULT pg_current_xact_id(),                      -- the writing transaction
  type        text NOT NULL,                                                   -- release.created, ...
  org_id      uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
  repo_id     uuid REFERENCES repos (id) ON DELETE CASCADE,                    -- null for environment.* events
  actor_id    uuid REFERENCES users (id) ON DELETE SET NULL,                   -- null once the user is deleted
  occurred_at timestamptz(3) NOT NULL DEFAULT now(),
  resource    jsonb NOT NULL                                                   -- the resource as the API returns it
);
CREATE INDEX events_repo_feed ON events (repo_id, txid, seq);
CREATE INDEX events_org_feed ON events (org_id, txid, seq);
CREATE INDEX events_actor_id ON events (actor_id) WHERE actor_id IS NOT NULL;
