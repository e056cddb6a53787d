-- Up Migration
-- Delivery metrics (issue 13): the lead time asks, for each release that succeeded in the window, whether it had
-- succeeded in that environment before. Through deployments_release_page that read every deployment of the
-- release (50 per release in the bench, 27 stepped over per probe); this index answers it in one probe.
-- Measured by `npm run bench -- --only=metrics` (README, Benchmark).
CREATE INDEX deployments_release_environment_succeeded
  ON deployments (release_id, environment_id, ended_at) WHERE status = 'success';
