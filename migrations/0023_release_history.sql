-- Up Migration
-- Release notes from the repository's own history. A repo's bare git repository is found as
-- <GIT_REPOS_DIR>/<org slug>/<repo name>.git unless an admin names another directory for it (git_dir, absolute).
-- A release whose notes were generated records the range of history they cover: { from, to, previousVersion,
-- fromMergeBase, truncated }, as the notes endpoint answered it.
ALTER TABLE repos ADD COLUMN git_dir text CHECK (length(git_dir) BETWEEN 1 AND 4096 AND git_dir LIKE '/%');
ALTER TABLE releases ADD COLUMN notes_range jsonb CHECK (jsonb_typeof(notes_range) = 'object');
