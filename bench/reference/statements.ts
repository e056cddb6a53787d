/**
 * The statements each measured read issues, copied by hand from lib/domain (identity, releases, deployments,
 * environments), with named parameters (`:repo`) in pgbench's style. The naive reference server runs them as text
 * and pgbench runs them as scripts; bench/sqlOfLib.ts checks at every run that they still equal what lib/ issues.
 */

const AUTH_COLUMNS = `SELECT t.id AS token_id, u.id, u.name,
  (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute') AS stale`;

/** The token lookup of a request that names a repo: the caller's role in the repo's org comes with it. */
export const AUTH_REPO = `${AUTH_COLUMNS}, r.id AS repo_id, r.org_id AS repo_org_id, m.role AS repo_role
FROM api_tokens t JOIN users u ON u.id = t.user_id
LEFT JOIN repos r ON r.id = :repo LEFT JOIN memberships m ON m.org_id = r.org_id AND m.user_id = u.id
WHERE t.token_hash = :hash AND t.revoked_at IS NULL`;

export const AUTH = `${AUTH_COLUMNS}
FROM api_tokens t JOIN users u ON u.id = t.user_id
WHERE t.token_hash = :hash AND t.revoked_at IS NULL`;

/** At most once a minute per token; not part of the pgbench scripts. */
export const TOUCH_TOKEN = 'UPDATE api_tokens SET last_used_at = now() WHERE id = :token_id';

const LIST_RELEASES = `SELECT r.id, r.version, r.created_at, r.created_by, u.name AS created_by_name, r.version_key,
  (SELECT count(*) FROM release_artifacts ra WHERE ra.release_id = r.id)::int AS artifact_count
FROM releases r JOIN users u ON u.id = r.created_by
WHERE r.repo_id = :repo
ORDER BY r.created_at DESC, r.id DESC
LIMIT :limit`;

const GET_RELEASE = `SELECT r.id, r.repo_id, r.version, r.notes, r.created_by, cu.name AS created_by_name, r.created_at,
  COALESCE((
    SELECT json_agg(json_build_object(
      'id', a.id, 'repoId', a.repo_id, 'name', a.name, 'path', a.path, 'sizeBytes', a.size_bytes,
      'sha256', a.sha256, 'contentType', a.content_type, 'createdAt', a.created_at) ORDER BY a.name, a.id)
    FROM release_artifacts ra JOIN artifacts a ON a.id = ra.artifact_id
    WHERE ra.release_id = r.id), '[]') AS artifacts,
  COALESCE((
    SELECT json_agg(json_build_object(
      'id', d.id, 'environment', json_build_object('id', e.id, 'name', e.name), 'status', d.status,
      'startedAt', d.started_at, 'endedAt', d.ended_at,
      'deployedBy', json_build_object('id', d.deployed_by, 'name', du.name)) ORDER BY d.started_at DESC, d.id DESC)
    FROM (SELECT * FROM deployments WHERE release_id = :release::uuid ORDER BY started_at DESC, id DESC
          LIMIT :shown) d
    JOIN environments e ON e.id = d.environment_id
    JOIN users du ON du.id = d.deployed_by), '[]') AS deployments,
  COALESCE((SELECT c.deployments FROM release_deployment_counts c WHERE c.release_id = r.id), 0) AS deployment_count
FROM releases r JOIN users cu ON cu.id = r.created_by
WHERE r.repo_id = :repo AND r.id = :release`;

const LATEST_RELEASE_ID = `SELECT id FROM releases r
WHERE r.repo_id = :repo AND NOT r.prerelease
ORDER BY r.version_key DESC, r.id DESC
LIMIT 1`;

const FIND_RELEASE_ID = 'SELECT r.id FROM releases r WHERE r.repo_id = :repo AND r.id = :release';

const DEPLOYMENT_COLUMNS = `d.id, d.release_id, r.repo_id, r.version, e.id AS environment_id, e.name AS environment_name,
  e.protected, d.status, d.kind, d.rollback_of, d.reason, d.required_approvals, d.started_at, d.ended_at, d.deployed_by,
  u.name AS deployed_by_name`;
const DEPLOYMENTS_JOINED = `deployments d JOIN releases r ON r.id = d.release_id JOIN environments e ON e.id = d.environment_id
  JOIN users u ON u.id = d.deployed_by`;

const LIST_DEPLOYMENTS = `SELECT ${DEPLOYMENT_COLUMNS}
FROM ${DEPLOYMENTS_JOINED}
WHERE d.release_id = :release
ORDER BY d.started_at DESC, d.id DESC
LIMIT :limit`;

const GET_DEPLOYMENT = `SELECT ${DEPLOYMENT_COLUMNS}, m.role,
  COALESCE((
    SELECT json_agg(json_build_object(
      'id', v.id, 'reviewer', json_build_object('id', v.reviewer_id, 'name', vu.name), 'decision', v.decision,
      'comment', v.comment, 'createdAt', v.created_at) ORDER BY v.created_at, v.id)
    FROM deployment_reviews v JOIN users vu ON vu.id = v.reviewer_id
    WHERE v.deployment_id = d.id), '[]') AS reviews
FROM ${DEPLOYMENTS_JOINED}
JOIN repos p ON p.id = r.repo_id
JOIN memberships m ON m.org_id = p.org_id AND m.user_id = :user
WHERE d.id = :deployment`;

const REPO_ENVIRONMENTS = `SELECT e.id, e.org_id, e.name, e.protected, e.position, e.required_approvals, e.created_at,
  ARRAY(SELECT re.name FROM environment_requirements q JOIN environments re ON re.id = q.required_environment_id
        WHERE q.environment_id = e.id ORDER BY re.position, re.name) AS requires,
  cur.id AS deployment_id, cur.release_id, cur.version, cur.deployed_at, cur.deployed_by, cur.deployed_by_name
FROM environments e
LEFT JOIN LATERAL (
  SELECT d.id, d.release_id, r.version, COALESCE(d.ended_at, d.started_at) AS deployed_at, d.deployed_by,
         u.name AS deployed_by_name
  FROM deployments d JOIN releases r ON r.id = d.release_id JOIN users u ON u.id = d.deployed_by
  WHERE d.repo_id = :repo AND d.environment_id = e.id AND d.status = 'success'
  ORDER BY d.ended_at DESC NULLS LAST, d.id DESC
  LIMIT 1
) cur ON true
WHERE e.org_id = :org
ORDER BY e.position, e.name
LIMIT :limit`;

export type Read =
  | 'listReleases'
  | 'getRelease'
  | 'getLatestRelease'
  | 'listDeployments'
  | 'getDeployment'
  | 'repoEnvironments';

/**
 * Per read, its statements in order, token lookup first. getLatestRelease's second statement takes the id its
 * first one found (`:release` there is the latest release's id).
 */
export const READS: Record<Read, string[]> = {
  listReleases: [AUTH_REPO, LIST_RELEASES],
  getRelease: [AUTH_REPO, GET_RELEASE],
  getLatestRelease: [AUTH_REPO, LATEST_RELEASE_ID, GET_RELEASE],
  listDeployments: [AUTH_REPO, FIND_RELEASE_ID, LIST_DEPLOYMENTS],
  getDeployment: [AUTH, GET_DEPLOYMENT],
  repoEnvironments: [AUTH_REPO, REPO_ENVIRONMENTS],
};

/** `statement` with its named parameters as $1, $2, … (one per occurrence, as @databases numbers them). */
export function positional(statement: string): { text: string; names: string[] } {
  const names: string[] = [];
  const text = statement.replace(/(?<!:):([a-z_]+)/g, (_, name: string) => {
    names.push(name);
    return `$${names.length}`;
  });
  return { text, names };
}
