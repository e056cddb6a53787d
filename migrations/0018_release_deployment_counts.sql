-- Up Migration
-- A release's deployment count leaves the releases row for a narrow table of its own. 0007 kept it on the release,
-- so every deployment updated that row: a release deployed again and again (the soak deploys one ~50 times a
-- second) left a new version of it per deployment, and on the release's page, full of the releases created after
-- it, none of those updates was HOT: each added an entry to every index of releases, and every lookup of that
-- release (the foreign-key check of each deployment among them) stepped over the dead versions until autovacuum
-- came by. The soak of 2026-11-29 showed it as Postgres CPU per request climbing 1,584 → 3,850 µs in five minutes,
-- falling when autovacuum ran and climbing again (p99 last minute ÷ first 1.63). Here an update changes no indexed
-- column on a half-empty page, so it stays HOT and is pruned in place; the releases row is never rewritten by a
-- deployment. A release with no row here has no deployments.
-- no deployment is written between the copy of the counts and the new trigger (another server may be running)
LOCK TABLE deployments IN SHARE MODE;

CREATE TABLE release_deployment_counts (
  release_id  uuid PRIMARY KEY REFERENCES releases (id) ON DELETE CASCADE,
  deployments integer NOT NULL
) WITH (fillfactor = 50);

INSERT INTO release_deployment_counts (release_id, deployments)
SELECT id, deployment_count FROM releases WHERE deployment_count > 0;

-- the same statement-level trigger (0007's deployments_count), counting into the new table; releases in id order,
-- so that two bulk inserts take their rows' locks in one order
CREATE OR REPLACE FUNCTION releases_count_deployments() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO release_deployment_counts AS c (release_id, deployments)
  SELECT release_id, count(*) FROM inserted GROUP BY release_id ORDER BY release_id
  ON CONFLICT (release_id) DO UPDATE SET deployments = c.deployments + excluded.deployments;
  RETURN NULL;
END;
$$;

ALTER TABLE releases DROP COLUMN deployment_count;
