-- Up Migration
-- "What runs where" looks up, per environment, the repo's newest successful deployment. Found through the
-- environment alone, it had to step over every newer deployment of the org's other repos there (6,121 rows read
-- for 3 returned in the benchmark). Each deployment now carries its release's repo, set by a trigger from the
-- release so that it can never disagree with it, and the lookup is one index probe per environment.
ALTER TABLE deployments ADD COLUMN repo_id uuid;
UPDATE deployments d SET repo_id = r.repo_id FROM releases r WHERE r.id = d.release_id;
ALTER TABLE deployments ALTER COLUMN repo_id SET NOT NULL;

CREATE FUNCTION deployments_set_repo() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  SELECT r.repo_id INTO NEW.repo_id FROM releases r WHERE r.id = NEW.release_id;
  RETURN NEW;
END;
$$;

CREATE TRIGGER deployments_repo BEFORE INSERT OR UPDATE OF release_id ON deployments
  FOR EACH ROW EXECUTE FUNCTION deployments_set_repo();

CREATE INDEX deployments_repo_environment_succeeded
  ON deployments (repo_id, environment_id, ended_at DESC NULLS LAST, id DESC) WHERE status = 'success';
DROP INDEX deployments_environment_succeeded;
