-- Up Migration
-- A release's title, what release tools set beside the tag (GitHub's `name`, gh's --title, PyGithub's title); they
-- were refused when it differed from the tag. NULL reads as the version, so the releases already there keep theirs
-- without being rewritten.
ALTER TABLE releases ADD COLUMN title text CHECK (length(title) BETWEEN 1 AND 256);
