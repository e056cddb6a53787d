-- Up Migration
-- A release's deployment count leaves the releases row for a narrow table of its own. 0007 kept it on the release,
-- so every deployment updated that row while the other deployments in flight held it KEY SHARE through their foreign
-- key: each update made a new multixact of all of them, and the row's versions carried those multixacts to every
-- later lookup of the release (the foreign-key check of each deployment among them). Read off a soak of 300 s at
-- 59c301e (2026-12-06; one release deployed ~50 times a second): most of those updates were HOT, yet the deployments
-- queued on the row (Lock: transactionid), pg_stat_slru counted 17.5 million multixact member page reads, Postgres
-- CPU per request climbed 1,786 → 5,936 µs in five minutes and p99 3.30x (autovacuum of releases reset the climb:
-- the sawtooth of the soak of 2026-11-29). Nothing holds a row of this table KEY SHARE, so its updates carry a plain
-- xid, stay HOT on half-empty pages and are pruned in place; the releases row is never rewritten by a deployment.
-- A release with no row here has no deployments.

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
