-- Up Migration
-- The newest deployments of a release are an index scan that stops after 20 rows only when Postgres knows the
-- release has many; with the default sample, a release with 15,000 of 1,000,000 deployments was estimated at 10,
-- and the plan read and sorted all 15,000 (6.5 ms against 0.05 ms). A larger sample of release_id keeps such
-- releases among the most common values.
ALTER TABLE deployments ALTER COLUMN release_id SET STATISTICS 1000;
ANALYZE deployments;
