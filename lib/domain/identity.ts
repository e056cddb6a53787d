import { createHash, randomBytes } from 'node:crypto';
import { type Queryable, sql } from '../infra/db';
import type { RepoAccess } from './access';

/** The caller of a request, as its token identifies it. */
export interface User {
  id: string;
  name: string;
  /** the caller's access to the repo the request names, looked up with the token (null: not a member, or no repo) */
  repo?: { id: string; access: RepoAccess | null };
}

const TOKEN_PREFIX = 'gwr_';
const TOKEN_PATTERN = /^gwr_[A-Za-z0-9_-]{43}$/;

/** A new API token: 32 random bytes, prefixed so that secret scanners can spot a leaked one. */
function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** True when `token` has the shape of a token we issue (so a malformed one costs no query). */
function isWellFormedToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}

/**
 * The user a token belongs to, or null when it is unknown or revoked. Looked up by its SHA-256 hash, so the
 * comparison happens on a digest in an index, never on the secret. Marks the token used at most once a minute.
 * With `repoId`, the same query also finds the user's access to that repo, which saves every repo-scoped request
 * a round trip (lib/repos `repoForMember` uses it).
 */
export async function authenticate(db: Queryable, token: string, repoId?: string): Promise<User | null> {
  if (!isWellFormedToken(token)) return null;
  const [row] = await db.query(sql`
    SELECT t.id AS token_id, u.id, u.name,
           (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute') AS stale
           ${repoId ? sql`, r.id AS repo_id, r.org_id AS repo_org_id, m.role AS repo_role` : sql``}
    FROM api_tokens t JOIN users u ON u.id = t.user_id
    ${repoId ? sql`LEFT JOIN repos r ON r.id = ${repoId} LEFT JOIN memberships m ON m.org_id = r.org_id AND m.user_id = u.id` : sql``}
    WHERE t.token_hash = ${hashToken(token)} AND t.revoked_at IS NULL
  `);
  if (!row) return null;
  if (row.stale) await db.query(sql`UPDATE api_tokens SET last_used_at = now() WHERE id = ${row.token_id}`);
  const user: User = { id: row.id, name: row.name };
  if (repoId) {
    user.repo = {
      id: repoId,
      access: row.repo_role ? { id: row.repo_id, orgId: row.repo_org_id, role: row.repo_role } : null,
    };
  }
  return user;
}

/** Issues a token for `userId`; the token is returned once and only its hash is kept. */
export async function issueToken(db: Queryable, userId: string, name: string): Promise<string> {
  const token = generateToken();
  await db.query(
    sql`INSERT INTO api_tokens (user_id, token_hash, name) VALUES (${userId}, ${hashToken(token)}, ${name})`,
  );
  return token;
}

/** Revokes `token`; false when no live token has that value. */
export async function revokeToken(db: Queryable, token: string): Promise<boolean> {
  const rows = await db.query(sql`
    UPDATE api_tokens SET revoked_at = now()
    WHERE token_hash = ${hashToken(token)} AND revoked_at IS NULL
    RETURNING id
  `);
  return rows.length > 0;
}
