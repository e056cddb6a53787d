-- Up Migration
-- SemVer 2.0.0 precedence as a text key that sorts byte-wise (COLLATE "C") in precedence order, so that
-- "latest" and ?sort=version are index scans. Numbers are length-prefixed so 10 sorts above 9; a release sorts
-- above its pre-releases ('~' > '-'); pre-release identifiers compare numeric below alphanumeric, numbers by
-- value, text by ASCII, and a shorter list below a longer one it prefixes. Build metadata does not take part.
CREATE FUNCTION semver_sort_key(version text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  base text := split_part(version, '+', 1);
  dash int := strpos(base, '-');
  core text := CASE WHEN dash > 0 THEN left(base, dash - 1) ELSE base END;
  key text := '';
  part text;
  identifier text;
  identifiers text[] := '{}';
BEGIN
  FOREACH part IN ARRAY string_to_array(core, '.') LOOP
    key := key || lpad(length(part)::text, 3, '0') || part || '.';
  END LOOP;
  IF dash = 0 THEN
    RETURN key || '~';
  END IF;
  FOREACH identifier IN ARRAY string_to_array(substr(base, dash + 1), '.') LOOP
    identifiers := identifiers || CASE
      WHEN identifier ~ '^[0-9]+$' THEN '0' || lpad(length(identifier)::text, 3, '0') || identifier
      ELSE '1' || identifier
    END;
  END LOOP;
  RETURN key || '-' || array_to_string(identifiers, '!');
END;
$$;

ALTER TABLE releases
  ADD COLUMN version_key text COLLATE "C" GENERATED ALWAYS AS (semver_sort_key(version)) STORED,
  ADD COLUMN version_core text GENERATED ALWAYS AS (split_part(split_part(version, '+', 1), '-', 1)) STORED,
  ADD COLUMN prerelease boolean GENERATED ALWAYS AS (strpos(split_part(version, '+', 1), '-') > 0) STORED;

CREATE INDEX releases_repo_version_order ON releases (repo_id, version_key DESC, id DESC);
CREATE INDEX releases_repo_latest_stable ON releases (repo_id, version_key DESC, id DESC) WHERE NOT prerelease;
