-- Up Migration
-- Deployments that take time (issue 3): a deployment may be recorded as in_progress, with no end yet, and be
-- finished once by PATCH /deployments/{id}. A value added to an enum cannot be used in the transaction that adds
-- it, so the check below compares status as text.
ALTER TYPE deployment_status ADD VALUE IF NOT EXISTS 'in_progress' BEFORE 'success';

-- A deployment has an end exactly when it is finished. NOT VALID: enforced for every row written from now on,
-- without scanning (or failing on) rows written before this rule existed.
ALTER TABLE deployments
  ADD CONSTRAINT deployments_ended_when_finished CHECK ((status::text = 'in_progress') = (ended_at IS NULL)) NOT VALID;

-- What runs where: the newest successful deployment in each environment, newest first by when it finished.
CREATE INDEX deployments_environment_succeeded ON deployments (environment_id, ended_at DESC NULLS LAST, id DESC)
  WHERE status = 'success';
