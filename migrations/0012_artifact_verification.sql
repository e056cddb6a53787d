-- Up Migration
-- Downloads (issue 16): a file is hashed again before it is served when it is no longer the file last verified.
-- What was verified is recorded here: size and mtime (the issue's rule), plus ctime and inode, which no writer can
-- set back (touch -d, cp -p and rsync -t restore an mtime; a rename brings another inode), and when. NULL: never
-- verified since registration (rows older than this migration), so the first download hashes the file.
ALTER TABLE artifacts
  ADD COLUMN verified_size_bytes bigint,
  ADD COLUMN verified_mtime_ns bigint,
  ADD COLUMN verified_ctime_ns bigint,
  -- inode numbers are unsigned 64-bit (overlayfs sets the high bits): too wide for bigint
  ADD COLUMN verified_inode numeric(20, 0),
  ADD COLUMN verified_at timestamptz(3);
