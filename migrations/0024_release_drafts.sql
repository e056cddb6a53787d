-- Up Migration
-- Draft releases: a draft reserves its version (the unique key holds it) and collects artifacts; it is never the
-- latest, never deployed, and seen only by members whose token may create releases. Publishing sets published_at;
-- the releases already there were published when they were created, so NULL reads as created_at for them and no
-- row is rewritten.
ALTER TABLE releases ADD COLUMN draft boolean NOT NULL DEFAULT false;
ALTER TABLE releases ADD COLUMN published_at timestamptz(3);
ALTER TABLE releases ADD CONSTRAINT releases_draft_unpublished CHECK (NOT draft OR published_at IS NULL);
-- What a reader (who does not see drafts) lists: its pages and its count (GitHub's `last` link) read this index alone,
-- as the pages of everyone else read releases_repo_page, rather than each release's row to learn it is not a draft.
CREATE INDEX releases_repo_published_page ON releases (repo_id, created_at DESC, id DESC) WHERE NOT draft;
