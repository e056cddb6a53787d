-- Up Migration
-- Environments as a pipeline (issue 13): an order, promotion rules (a release must have succeeded in the
-- environments this one requires), approvals, rollbacks and reviews.
--
-- Migrations run in one transaction (scripts/lib/migrate.ts), and a value added to an enum cannot be used in the
-- transaction that adds it: nothing below (nor in any later migration of the same run) names the new statuses
-- except as text.
ALTER TYPE deployment_status ADD VALUE IF NOT EXISTS 'waiting' BEFORE 'in_progress';
ALTER TYPE deployment_status ADD VALUE IF NOT EXISTS 'rejected';
ALTER TYPE deployment_status ADD VALUE IF NOT EXISTS 'cancelled';

-- Place in the pipeline (lists sort by position, then name) and the number of approvals a deployment needs.
ALTER TABLE environments
  ADD COLUMN position integer NOT NULL DEFAULT 0 CHECK (position >= 0),
  ADD COLUMN required_approvals smallint NOT NULL DEFAULT 0 CHECK (required_approvals BETWEEN 0 AND 5);

-- Existing orgs: dev 1, stg 2, prod 3, then the others in the order they were created.
UPDATE environments e SET position = p.position
FROM (
  SELECT id, row_number() OVER (
    PARTITION BY org_id
    ORDER BY CASE name WHEN 'dev' THEN 1 WHEN 'stg' THEN 2 WHEN 'prod' THEN 3 ELSE 4 END, created_at, name) AS position
  FROM environments
) p
WHERE p.id = e.id;
CREATE INDEX environments_org_pipeline ON environments (org_id, position, name);

-- Where a release must have a successful deployment before it may be deployed to an environment. Both ends are
-- environments of one org (checked by lib/domain/environments, which also refuses cycles).
CREATE TABLE environment_requirements (
  environment_id          uuid NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
  required_environment_id uuid NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
  PRIMARY KEY (environment_id, required_environment_id),
  CHECK (environment_id <> required_environment_id)
);
CREATE INDEX environment_requirements_required ON environment_requirements (required_environment_id);

-- Every existing org with both gets what a new org starts with: prod requires stg.
INSERT INTO environment_requirements (environment_id, required_environment_id)
SELECT prod.id, stg.id
FROM environments prod JOIN environments stg ON stg.org_id = prod.org_id AND stg.name = 'stg'
WHERE prod.name = 'prod'
ON CONFLICT DO NOTHING;

CREATE TYPE deployment_kind AS ENUM ('deploy', 'rollback');

-- kind and rollback_of: a rollback records the deployment it replaces and why. requested_status: what a waiting
-- deployment becomes once approved; required_approvals: the environment's count when it was requested (a later
-- change of the environment does not move deployments already waiting).
ALTER TABLE deployments
  ADD COLUMN kind deployment_kind NOT NULL DEFAULT 'deploy',
  ADD COLUMN rollback_of uuid REFERENCES deployments (id),
  ADD COLUMN reason text,
  ADD COLUMN requested_status deployment_status,
  ADD COLUMN required_approvals smallint NOT NULL DEFAULT 0,
  ADD CONSTRAINT deployments_rollback_of CHECK ((kind = 'rollback') = (rollback_of IS NOT NULL)) NOT VALID;

-- A deployment has no end while waiting or in progress, and one in every other status.
ALTER TABLE deployments DROP CONSTRAINT deployments_ended_when_finished;
ALTER TABLE deployments
  ADD CONSTRAINT deployments_ended_when_finished
  CHECK ((status::text IN ('waiting', 'in_progress')) = (ended_at IS NULL)) NOT VALID;

-- An environment's history, newest first, for one repo: unfiltered, by status, and its rollbacks (rare, so
-- filtering the first index for them would read the whole history to fill a page).
CREATE INDEX deployments_repo_environment_history
  ON deployments (repo_id, environment_id, started_at DESC, id DESC);
CREATE INDEX deployments_repo_environment_status_history
  ON deployments (repo_id, environment_id, status, started_at DESC, id DESC);
CREATE INDEX deployments_repo_environment_rollbacks
  ON deployments (repo_id, environment_id, started_at DESC, id DESC) WHERE kind = 'rollback';
CREATE INDEX deployments_rollback_of ON deployments (rollback_of) WHERE rollback_of IS NOT NULL;

CREATE TYPE review_decision AS ENUM ('approve', 'reject');

-- One review per release manager per deployment (the unique key decides between two at once).
CREATE TABLE deployment_reviews (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  deployment_id uuid NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
  reviewer_id   uuid NOT NULL REFERENCES users (id),
  decision      review_decision NOT NULL,
  comment       text,
  created_at    timestamptz(3) NOT NULL DEFAULT now(),
  CONSTRAINT deployment_reviews_once UNIQUE (deployment_id, reviewer_id)
);
