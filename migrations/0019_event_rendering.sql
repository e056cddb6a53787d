-- Up Migration
-- Each event keeps itself as readers receive it (issue 14's feed target: a feed page as fast as a list page). The feed
-- joined every event to its org, repo and actor and built the JSON of each on every read: measured with pgbench on the
-- bench data set, that statement answered ~1,100 times a second where a releases page answered ~2,900, and npm start
-- served a feed page at 0.63 of a list page's rate. Rendered once, when the event is written, a page is one index
-- range of one table whose rows are sent as stored. The names are those of the moment of the change: an event is a
-- record of what happened (nothing renames or deletes orgs, repos or users today; a rename would not rewrite history).
ALTER TABLE events ADD COLUMN public json;

-- `public`: the event as the feed and webhooks carry it (schemas/events.ts publicEvent), key for key
CREATE FUNCTION events_render() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.public := json_build_object(
    'id', NEW.id,
    'type', NEW.type,
    'occurredAt', to_char(NEW.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'actor', CASE WHEN NEW.actor_id IS NULL THEN NULL
                  ELSE json_build_object('id', NEW.actor_id, 'name', (SELECT u.name FROM users u WHERE u.id = NEW.actor_id)) END,
    'org', json_build_object('id', NEW.org_id, 'slug', (SELECT o.slug FROM orgs o WHERE o.id = NEW.org_id)),
    'repo', CASE WHEN NEW.repo_id IS NULL THEN NULL
                 ELSE json_build_object('id', NEW.repo_id, 'name', (SELECT r.name FROM repos r WHERE r.id = NEW.repo_id)) END,
    'resource', NEW.resource);
  RETURN NEW;
END;
$$;

-- events are written only by inserts; the rendering follows any later change of what it shows all the same
CREATE TRIGGER events_render BEFORE INSERT OR UPDATE OF id, type, occurred_at, actor_id, org_id, repo_id, resource
  ON events FOR EACH ROW EXECUTE FUNCTION events_render();

UPDATE events SET resource = resource;
ALTER TABLE events ALTER COLUMN public SET NOT NULL;
