-- Up Migration
-- The epic's tables plus the minimal orgs, repos, users, memberships, tokens and artifacts they reference.
-- Times are millisecond precision so that a JavaScript Date round-trips exactly through keyset cursors.

CREATE TABLE orgs (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug       text NOT NULL UNIQUE,
  name       text NOT NULL,
  created_at timestamptz(3) NOT NULL DEFAULT now()
);

CREATE TABLE repos (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id     uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
  name       text NOT NULL,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  UNIQUE (org_id, name)
);

CREATE TABLE users (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name       text NOT NULL,
  created_at timestamptz(3) NOT NULL DEFAULT now()
);

CREATE TYPE member_role AS ENUM ('developer', 'release_manager');

CREATE TABLE memberships (
  org_id  uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role    member_role NOT NULL,
  PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user_id ON memberships (user_id);

CREATE TABLE api_tokens (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash   bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  name         text NOT NULL,
  created_at   timestamptz(3) NOT NULL DEFAULT now(),
  last_used_at timestamptz(3),
  revoked_at   timestamptz(3)
);
CREATE INDEX api_tokens_user_id ON api_tokens (user_id);

CREATE TABLE artifacts (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  repo_id      uuid NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
  name         text NOT NULL,
  path         text NOT NULL,
  size_bytes   bigint NOT NULL CHECK (size_bytes >= 0),
  sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  content_type text NOT NULL,
  created_at   timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX artifacts_repo_page ON artifacts (repo_id, created_at DESC, id DESC);

CREATE TABLE releases (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  repo_id    uuid NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
  version    text NOT NULL,
  notes      text NOT NULL DEFAULT '',
  created_by uuid NOT NULL REFERENCES users (id),
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  CONSTRAINT releases_repo_version UNIQUE (repo_id, version)
);
CREATE INDEX releases_repo_page ON releases (repo_id, created_at DESC, id DESC);

CREATE TABLE release_artifacts (
  release_id  uuid NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
  artifact_id uuid NOT NULL REFERENCES artifacts (id),
  PRIMARY KEY (release_id, artifact_id)
);
CREATE INDEX release_artifacts_artifact_id ON release_artifacts (artifact_id);

CREATE TABLE environments (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id     uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
  name       text NOT NULL,
  protected  boolean NOT NULL DEFAULT false,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  CONSTRAINT environments_org_name UNIQUE (org_id, name)
);

CREATE TYPE deployment_status AS ENUM ('success', 'failed');

CREATE TABLE deployments (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  release_id     uuid NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
  environment_id uuid NOT NULL REFERENCES environments (id),
  status         deployment_status NOT NULL DEFAULT 'success',
  started_at     timestamptz(3) NOT NULL DEFAULT now(),
  ended_at       timestamptz(3),
  deployed_by    uuid NOT NULL REFERENCES users (id),
  CONSTRAINT deployments_ended_after_started CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE INDEX deployments_release_page ON deployments (release_id, started_at DESC, id DESC);
CREATE INDEX deployments_environment_started ON deployments (environment_id, started_at DESC);
