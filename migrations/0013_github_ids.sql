-- Up Migration
-- The GitHub-compatible surface (issue 16): GitHub's clients expect integer ids, so releases, artifacts (assets),
-- deployments, environments and users get one beside their UUID, filled for the rows already there. GitHub's
-- deployment statuses are a history, so every status a deployment takes is kept, written by a trigger in the
-- transaction that changes it (whatever changes it: the API, a review, a cancel, a rollback).
--
-- Migrations of one run share a transaction (scripts/lib/migrate.ts), where an enum value added by an earlier one
-- cannot be named: the trigger compares deployment statuses as text.
ALTER TABLE releases ADD COLUMN github_id bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE artifacts ADD COLUMN github_id bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE deployments ADD COLUMN github_id bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE environments ADD COLUMN github_id bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE users ADD COLUMN github_id bigint GENERATED ALWAYS AS IDENTITY;
CREATE UNIQUE INDEX releases_github_id ON releases (github_id);
CREATE UNIQUE INDEX artifacts_github_id ON artifacts (github_id);
CREATE UNIQUE INDEX deployments_github_id ON deployments (github_id);
CREATE UNIQUE INDEX environments_github_id ON environments (github_id);
-- GitHub lists a repo's deployments newest first, by id
CREATE INDEX deployments_repo_github_id ON deployments (repo_id, github_id DESC);

-- GitHub's target_commitish (DESIGN.md §2: the commit a release was built from, as the forge's git side knows it).
ALTER TABLE releases ADD COLUMN commit text CHECK (length(commit) BETWEEN 1 AND 255);

-- GitHub's asset label belongs to the asset on its release; the description to a deployment.
ALTER TABLE release_artifacts ADD COLUMN label text CHECK (length(label) <= 255);
ALTER TABLE deployments ADD COLUMN description text CHECK (length(description) <= 140);

-- Every status a deployment has taken, as GitHub's states. The trigger writes one row per change of status;
-- POST …/statuses adds its description and links to the row of the change it made, or a row of its own for a
-- state that changes nothing here (queued, pending, in_progress while in progress).
CREATE TABLE deployment_statuses (
  github_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  deployment_id   uuid NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
  state           text NOT NULL
    CHECK (state IN ('queued', 'pending', 'in_progress', 'success', 'failure', 'error', 'inactive')),
  description     text NOT NULL DEFAULT '' CHECK (length(description) <= 140),
  log_url         text CHECK (length(log_url) <= 2048),
  environment_url text CHECK (length(environment_url) <= 2048),
  created_by      uuid NOT NULL REFERENCES users (id),
  created_at      timestamptz(3) NOT NULL DEFAULT now()
);
-- a deployment's statuses, newest first
CREATE INDEX deployment_statuses_of ON deployment_statuses (deployment_id, github_id DESC);

CREATE FUNCTION deployments_record_status() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO deployment_statuses (deployment_id, state, description, created_by)
  VALUES (
    NEW.id,
    CASE NEW.status::text
      WHEN 'waiting' THEN 'pending'
      WHEN 'in_progress' THEN 'in_progress'
      WHEN 'success' THEN 'success'
      WHEN 'failed' THEN 'failure'
      WHEN 'rejected' THEN 'failure'
      ELSE 'error'
    END,
    CASE NEW.status::text
      WHEN 'waiting' THEN 'waiting for ' || NEW.required_approvals || ' approval(s)'
      WHEN 'rejected' THEN 'rejected in review'
      WHEN 'cancelled' THEN 'cancelled by its requester'
      ELSE ''
    END,
    NEW.deployed_by);
  RETURN NULL;
END;
$$;

CREATE TRIGGER deployments_status_created AFTER INSERT ON deployments
  FOR EACH ROW EXECUTE FUNCTION deployments_record_status();
CREATE TRIGGER deployments_status_changed AFTER UPDATE OF status ON deployments
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION deployments_record_status();

-- The deployments that are already there start their history with the status they have.
INSERT INTO deployment_statuses (deployment_id, state, created_by, created_at)
SELECT d.id,
  CASE d.status::text
    WHEN 'waiting' THEN 'pending' WHEN 'in_progress' THEN 'in_progress' WHEN 'success' THEN 'success'
    WHEN 'failed' THEN 'failure' WHEN 'rejected' THEN 'failure' ELSE 'error'
  END,
  d.deployed_by, COALESCE(d.ended_at, d.started_at)
FROM deployments d
ORDER BY COALESCE(d.ended_at, d.started_at), d.id;
