-- Up Migration
-- Events (issue 14): one row per change of a release, deployment or environment, written in the transaction of the
-- change. Readers of the feed and webhook deliveries read them in (txid, seq) order and only below the oldest
-- transaction still in flight (pg_snapshot_xmin), so a page never skips a row that commits later.
CREATE TABLE events (
  seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,                 -- order within a transaction
  id          uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,                  -- the public event id
  txid        xid8 NOT NULL DEFAULT pg_current_xact_id(),                      -- the writing transaction
  type        text NOT NULL,                                                   -- release.created, ...
  org_id      uuid NOT NULL,                                                   -- the org (not a foreign key: below)
  repo_id     uuid,                                                            -- null for environment.* events
  actor_id    uuid,                                                            -- who made the change
  occurred_at timestamptz(3) NOT NULL DEFAULT now(),
  resource    jsonb NOT NULL                                                   -- the resource as the API returns it
);
CREATE INDEX events_repo_feed ON events (repo_id, txid, seq);
CREATE INDEX events_org_feed ON events (org_id, txid, seq);
-- org_id, repo_id and actor_id name rows that exist when the event is written (in the transaction of the change that
-- names them), and are not foreign keys: a foreign key takes a KEY SHARE lock on its org, repo and user rows for
-- every event, the few hottest rows of the database, and the multixacts of those locks slowed every write of the
-- soak of 2026-11-29 (npm start fell from 33,000 to 17,000 requests a minute in four minutes; dropping the two
-- org and repo keys brought it back at once). Nothing deletes orgs, repos or users; whatever does must delete their
-- events (the feed joins them, so an event of a deleted repo drops out of it; a deleted actor reads as null).
