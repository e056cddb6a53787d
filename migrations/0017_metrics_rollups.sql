-- Up Migration
-- Delivery metrics (issue 13) read a 90-day window of 27,000 deployments at 371 ms p50 (target: 50 ms). What the
-- query needs is kept instead, by statement-level triggers on deployments, in the transaction that writes them:
-- - metrics_hours: per repo, environment and UTC hour (of started_at) the deployments that ran there (in progress,
--   succeeded or failed), successes, failures, rollbacks, changes (finished deployments of kind deploy) and failed
--   changes (those that failed, or succeeded and were rolled back since). A window is read from here rounded to the
--   nearest hours; the at most half hour at each end by which it differs is counted from deployments. Hours, not
--   days: a day's edge would be up to half a day of deployments to count (~80,000 in the bench's busiest repo);
--   a 366-day window is 8,784 rows.
-- - metrics_restores: each failed deployment with its environment's next success after it ended, and each succeeded
--   one that was rolled back with its rollbacks' first end, by started_at: a window's restores are an index range.
-- - metrics_first_successes: each release's first success (by ended_at) per environment, with the release's creation
--   (kept by a trigger on releases): a window's lead times are the releases whose first success started in it, read
--   from the index alone (a probe per release into releases cost 130 ms for the 33,000 of the bench's busy repo).
-- A trigger subtracts what the old rows counted for and adds what the new rows count for, so an approval that moves
-- started_at, or a status change, moves each count exactly once; restores and first successes of the rows touched
-- are recomputed from deployments. Writes to one repo and environment are serialised by a transaction-level
-- advisory lock (deployments are a few a minute per environment), so that each recomputation sees the other's rows.
CREATE TABLE metrics_hours (
  repo_id        uuid NOT NULL,
  environment_id uuid NOT NULL,
  hour           timestamp NOT NULL, -- UTC
  deployments    integer NOT NULL,
  successes      integer NOT NULL,
  failures       integer NOT NULL,
  rollbacks      integer NOT NULL,
  changes        integer NOT NULL,
  failed_changes integer NOT NULL,
  PRIMARY KEY (repo_id, environment_id, hour)
);

CREATE TABLE metrics_restores (
  deployment_id  uuid PRIMARY KEY,
  repo_id        uuid NOT NULL,
  environment_id uuid NOT NULL,
  failed         boolean NOT NULL,
  started_at     timestamptz(3) NOT NULL,
  ended_at       timestamptz(3),
  restored_at    timestamptz(3)
);
CREATE INDEX metrics_restores_window
  ON metrics_restores (repo_id, environment_id, started_at) INCLUDE (ended_at, restored_at);
-- the failures a new success may restore: those not restored yet, or restored later than it ended
CREATE INDEX metrics_restores_pending
  ON metrics_restores (repo_id, environment_id, restored_at) INCLUDE (ended_at) WHERE failed;

CREATE TABLE metrics_first_successes (
  release_id     uuid NOT NULL,
  environment_id uuid NOT NULL,
  repo_id        uuid NOT NULL,
  deployment_id  uuid NOT NULL,
  started_at     timestamptz(3) NOT NULL,
  ended_at       timestamptz(3),
  release_created_at timestamptz(3) NOT NULL,
  PRIMARY KEY (release_id, environment_id)
);
CREATE INDEX metrics_first_successes_window
  ON metrics_first_successes (repo_id, environment_id, started_at) INCLUDE (ended_at, release_created_at);

-- What one deployment counts for in its hour, sign -1 for a row as it was, 1 as it is; rolled: it has a rollback.
CREATE FUNCTION metrics_hour_counts(
  d_repo uuid, d_environment uuid, d_started timestamptz, d_status text, d_kind text, d_sign integer, d_rolled boolean)
RETURNS TABLE (repo_id uuid, environment_id uuid, hour timestamp, deployments integer, successes integer, failures integer,
               rollbacks integer, changes integer, failed_changes integer)
LANGUAGE sql IMMUTABLE AS $$
  SELECT d_repo, d_environment, date_trunc('hour', d_started AT TIME ZONE 'UTC'), d_sign,
         d_sign * (d_status = 'success')::int, d_sign * (d_status = 'failed')::int,
         d_sign * (d_kind = 'rollback')::int,
         d_sign * (d_kind = 'deploy' AND d_status IN ('success', 'failed'))::int,
         d_sign * (d_kind = 'deploy' AND (d_status = 'failed' OR (d_status = 'success' AND d_rolled)))::int
  WHERE d_status IN ('in_progress', 'success', 'failed')
$$;

-- The restore of each deployment named (absent when it neither failed nor succeeded and was rolled back).
CREATE FUNCTION metrics_refresh_restores(ids uuid[]) RETURNS void
LANGUAGE sql AS $$
  DELETE FROM metrics_restores WHERE deployment_id = ANY (ids);
  INSERT INTO metrics_restores (deployment_id, repo_id, environment_id, failed, started_at, ended_at, restored_at)
  SELECT d.id, d.repo_id, d.environment_id, d.status::text = 'failed', d.started_at, d.ended_at,
         CASE WHEN d.status::text = 'failed' THEN
           (SELECT min(s.ended_at) FROM deployments s
            WHERE s.repo_id = d.repo_id AND s.environment_id = d.environment_id AND s.status = 'success'
              AND s.ended_at > d.ended_at)
         ELSE (SELECT min(rb.ended_at) FROM deployments rb WHERE rb.rollback_of = d.id) END
  FROM deployments d
  WHERE d.id = ANY (ids)
    AND (d.status::text = 'failed'
         OR (d.status::text = 'success' AND EXISTS (SELECT 1 FROM deployments rb WHERE rb.rollback_of = d.id)));
$$;

-- The first success of each release and environment named, written only where it changed: a release deployed again
-- and again (a redeploy, a pipeline that deploys one release on every push) must not delete and insert its row each
-- time, which left a dead tuple per deployment on one key and slowed every later write of that key (the soak of
-- 2026-11-29 fell from 559 to 290 writes and reads a second in four minutes, deploying one release to dev).
CREATE FUNCTION metrics_refresh_first_successes(releases uuid[], environments uuid[]) RETURNS void
LANGUAGE sql AS $$
  WITH k AS (SELECT DISTINCT * FROM unnest(releases, environments) k(release_id, environment_id)),
    firsts AS (
      SELECT k.release_id, k.environment_id, s.repo_id, s.id AS deployment_id, s.started_at, s.ended_at,
             r.created_at AS release_created_at
      FROM k
      JOIN releases r ON r.id = k.release_id
      CROSS JOIN LATERAL (
        SELECT d.repo_id, d.id, d.started_at, d.ended_at FROM deployments d
        WHERE d.release_id = k.release_id AND d.environment_id = k.environment_id AND d.status = 'success'
        ORDER BY d.ended_at, d.id LIMIT 1) s),
    gone AS (
      DELETE FROM metrics_first_successes f
      USING k
      WHERE f.release_id = k.release_id AND f.environment_id = k.environment_id
        AND NOT EXISTS (SELECT 1 FROM firsts
                        WHERE firsts.release_id = f.release_id AND firsts.environment_id = f.environment_id))
  INSERT INTO metrics_first_successes AS f (release_id, environment_id, repo_id, deployment_id, started_at, ended_at,
                                            release_created_at)
  SELECT release_id, environment_id, repo_id, deployment_id, started_at, ended_at, release_created_at FROM firsts
  ON CONFLICT (release_id, environment_id) DO UPDATE SET
    repo_id = excluded.repo_id, deployment_id = excluded.deployment_id, started_at = excluded.started_at,
    ended_at = excluded.ended_at, release_created_at = excluded.release_created_at
  WHERE (f.repo_id, f.deployment_id, f.started_at, f.ended_at, f.release_created_at)
        IS DISTINCT FROM (excluded.repo_id, excluded.deployment_id, excluded.started_at, excluded.ended_at,
                          excluded.release_created_at);
$$;

-- What a statement changed, from its old rows (none for an insert) and new rows (none for a delete). One body, made
-- into a function per event (a trigger with transition tables has one event, and an insert's has no old table), in
-- static SQL so that each session plans it once (dynamic SQL planned it on every write: 2 ms of a status change's 4).
DO $make$
DECLARE
  body text := $body$
DECLARE
  lock_key bigint;
  touched_ids uuid[];
  touched_releases uuid[];
  touched_environments uuid[];
BEGIN
  FOR lock_key IN
    SELECT DISTINCT hashtextextended(t.repo_id::text || t.environment_id::text, 17) AS key
    FROM (SELECT o.repo_id, o.environment_id FROM __OLD__ o UNION SELECT n.repo_id, n.environment_id FROM __NEW__ n) t
    ORDER BY key
  LOOP
    PERFORM pg_advisory_xact_lock(lock_key);
  END LOOP;

  -- counts: minus the old rows (rolled back as they were before the statement), plus the new ones, and the move of
  -- a failed change for a success whose first rollback came or whose last went, the success itself untouched
  WITH o AS (SELECT * FROM __OLD__ o), n AS (SELECT * FROM __NEW__ n),
    touched AS (SELECT DISTINCT rollback_of AS id FROM (SELECT rollback_of FROM o UNION ALL SELECT rollback_of FROM n) r
                WHERE rollback_of IS NOT NULL
                  AND rollback_of NOT IN (SELECT id FROM o) AND rollback_of NOT IN (SELECT id FROM n)),
    delta AS (
      SELECT c.* FROM o, metrics_hour_counts(o.repo_id, o.environment_id, o.started_at, o.status::text, o.kind::text, -1,
        EXISTS (SELECT 1 FROM deployments rb WHERE rb.rollback_of = o.id AND rb.id NOT IN (SELECT id FROM n))
        OR EXISTS (SELECT 1 FROM o rb WHERE rb.rollback_of = o.id)) c
      UNION ALL
      SELECT c.* FROM n, metrics_hour_counts(n.repo_id, n.environment_id, n.started_at, n.status::text, n.kind::text, 1,
        EXISTS (SELECT 1 FROM deployments rb WHERE rb.rollback_of = n.id)) c
      UNION ALL
      SELECT d.repo_id, d.environment_id, date_trunc('hour', d.started_at AT TIME ZONE 'UTC'), 0, 0, 0, 0, 0,
             (EXISTS (SELECT 1 FROM deployments rb WHERE rb.rollback_of = d.id))::int
             - (EXISTS (SELECT 1 FROM deployments rb WHERE rb.rollback_of = d.id AND rb.id NOT IN (SELECT id FROM n))
                OR EXISTS (SELECT 1 FROM o rb WHERE rb.rollback_of = d.id))::int
      FROM touched t JOIN deployments d ON d.id = t.id
      WHERE d.kind = 'deploy' AND d.status = 'success'
    ),
    summed AS (
      SELECT repo_id, environment_id, hour, sum(deployments)::int AS deployments, sum(successes)::int AS successes,
             sum(failures)::int AS failures, sum(rollbacks)::int AS rollbacks, sum(changes)::int AS changes,
             sum(failed_changes)::int AS failed_changes
      FROM delta GROUP BY repo_id, environment_id, hour
    )
    INSERT INTO metrics_hours AS m
    SELECT * FROM summed
    WHERE deployments <> 0 OR successes <> 0 OR failures <> 0 OR rollbacks <> 0 OR changes <> 0 OR failed_changes <> 0
    ORDER BY repo_id, environment_id, hour
    ON CONFLICT (repo_id, environment_id, hour) DO UPDATE SET
      deployments = m.deployments + excluded.deployments, successes = m.successes + excluded.successes,
      failures = m.failures + excluded.failures, rollbacks = m.rollbacks + excluded.rollbacks,
      changes = m.changes + excluded.changes, failed_changes = m.failed_changes + excluded.failed_changes;

  -- restores: the rows themselves, the deployments they roll back, and the failures whose next success may have
  -- changed (not restored yet, or restored no earlier than a success of the statement ended)
  WITH o AS (SELECT * FROM __OLD__ o), n AS (SELECT * FROM __NEW__ n), b AS (SELECT * FROM o UNION ALL SELECT * FROM n),
    successes AS (SELECT repo_id, environment_id, min(ended_at) AS ended_at FROM b
                  WHERE status = 'success' GROUP BY repo_id, environment_id)
  SELECT array_agg(DISTINCT t.id) INTO touched_ids FROM (
      SELECT id FROM b WHERE status::text IN ('failed', 'success')
      UNION ALL SELECT rollback_of FROM b WHERE rollback_of IS NOT NULL
      UNION ALL
      SELECT r.deployment_id FROM successes s JOIN metrics_restores r
        ON r.repo_id = s.repo_id AND r.environment_id = s.environment_id AND r.failed AND r.restored_at IS NULL
      UNION ALL
      SELECT r.deployment_id FROM successes s JOIN metrics_restores r
        ON r.repo_id = s.repo_id AND r.environment_id = s.environment_id AND r.failed AND r.restored_at >= s.ended_at
    ) t;
  IF touched_ids IS NOT NULL THEN
    PERFORM metrics_refresh_restores(touched_ids);
  END IF;

  -- first successes: the releases and environments of every success, as it was or as it is
  SELECT array_agg(k.release_id), array_agg(k.environment_id) INTO touched_releases, touched_environments FROM (
    SELECT o.release_id, o.environment_id FROM __OLD__ o WHERE o.status = 'success'
    UNION SELECT n.release_id, n.environment_id FROM __NEW__ n WHERE n.status = 'success') k;
  IF touched_releases IS NOT NULL THEN
    PERFORM metrics_refresh_first_successes(touched_releases, touched_environments);
  END IF;
  RETURN NULL;
END;
$body$;
  none text := '(SELECT * FROM deployments WHERE false)';
BEGIN
  EXECUTE format('CREATE FUNCTION metrics_deployments_inserted() RETURNS trigger LANGUAGE plpgsql AS %L',
                 replace(replace(body, '__OLD__', none), '__NEW__', 'new_rows'));
  EXECUTE format('CREATE FUNCTION metrics_deployments_updated() RETURNS trigger LANGUAGE plpgsql AS %L',
                 replace(replace(body, '__OLD__', 'old_rows'), '__NEW__', 'new_rows'));
  EXECUTE format('CREATE FUNCTION metrics_deployments_deleted() RETURNS trigger LANGUAGE plpgsql AS %L',
                 replace(replace(body, '__OLD__', 'old_rows'), '__NEW__', none));
END;
$make$;

-- A release's creation as its first successes know it.
CREATE FUNCTION metrics_release_created() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE metrics_first_successes SET release_created_at = NEW.created_at WHERE release_id = NEW.id;
  RETURN NULL;
END;
$$;

CREATE TRIGGER releases_metrics_created AFTER UPDATE OF created_at ON releases
  FOR EACH ROW WHEN (OLD.created_at IS DISTINCT FROM NEW.created_at) EXECUTE FUNCTION metrics_release_created();

CREATE TRIGGER deployments_metrics_insert AFTER INSERT ON deployments
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION metrics_deployments_inserted();
CREATE TRIGGER deployments_metrics_update AFTER UPDATE ON deployments
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION metrics_deployments_updated();
CREATE TRIGGER deployments_metrics_delete AFTER DELETE ON deployments
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION metrics_deployments_deleted();

-- Backfill: the triggers above already hold deployments against writes until this migration commits.
INSERT INTO metrics_hours
SELECT c.repo_id, c.environment_id, c.hour, sum(c.deployments), sum(c.successes), sum(c.failures), sum(c.rollbacks),
       sum(c.changes), sum(c.failed_changes)
FROM deployments d,
     metrics_hour_counts(d.repo_id, d.environment_id, d.started_at, d.status::text, d.kind::text, 1,
       EXISTS (SELECT 1 FROM deployments rb WHERE rb.rollback_of = d.id)) c
GROUP BY c.repo_id, c.environment_id, c.hour;

INSERT INTO metrics_restores (deployment_id, repo_id, environment_id, failed, started_at, ended_at, restored_at)
SELECT d.id, d.repo_id, d.environment_id, true, d.started_at, d.ended_at,
       (SELECT min(s.ended_at) FROM deployments s
        WHERE s.repo_id = d.repo_id AND s.environment_id = d.environment_id AND s.status = 'success'
          AND s.ended_at > d.ended_at)
FROM deployments d WHERE d.status = 'failed'
UNION ALL
SELECT d.id, d.repo_id, d.environment_id, false, d.started_at, d.ended_at, rb.ended_at
FROM deployments d
JOIN (SELECT rollback_of, min(ended_at) AS ended_at FROM deployments WHERE rollback_of IS NOT NULL GROUP BY rollback_of) rb
  ON rb.rollback_of = d.id
WHERE d.status = 'success';

INSERT INTO metrics_first_successes (release_id, environment_id, repo_id, deployment_id, started_at, ended_at,
                                     release_created_at)
SELECT DISTINCT ON (d.release_id, d.environment_id) d.release_id, d.environment_id, d.repo_id, d.id, d.started_at,
       d.ended_at, r.created_at
FROM deployments d JOIN releases r ON r.id = d.release_id
WHERE d.status = 'success'
ORDER BY d.release_id, d.environment_id, d.ended_at, d.id;

-- vacuumed by autovacuum from then on; analysed now so that the first reads plan on their sizes
ANALYZE metrics_hours;
ANALYZE metrics_restores;
ANALYZE metrics_first_successes;
