-- Up Migration
-- Draft releases: a draft reserves its version (the unique key holds it) and collects artifacts; it is never the
-- latest, never deployed, and seen only by members whose token may create releases. Publishing sets published_at;
-- the releases already there were published when they were created, so NULL reads as created_at for them and no
-- row is rewritten.
ALTER TABLE releases ADD COLUMN draft boolean NOT NULL DEFAULT false;
ALTER TABLE releases ADD COLUMN published_at timestamptz(3);
ALTER TABLE releases ADD CONSTRAINT releases_draft_unpublished CHECK (NOT draft OR published_at IS NULL);
