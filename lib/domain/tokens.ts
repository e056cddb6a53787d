import type { Role } from '../../schemas/common';
import { type CreatedToken, SCOPES, type Scope, type TokenSummary } from '../../schemas/tokens';
import { decodeTimeCursor, encodeTimeCursor, keysetPage } from '../infra/cursor';
import { type Queryable, type Row, sql } from '../infra/db';
import { BadRequest, type FieldError, Forbidden, NotFound, Unprocessable } from '../infra/errors';
import { isUuid } from '../infra/ids';
import { isoTime } from '../infra/time';
import { forgetIdentities, forgottenEverywhere, generateToken, hashToken } from './identity';

/** The scopes each role gives; `read` needs no role, since a member of no org can still list (no) repos. */
const ROLE_SCOPES: Record<Role, readonly Scope[]> = {
  developer: ['read', 'release', 'deploy'],
  release_manager: ['read', 'release', 'deploy', 'admin'],
};

/** The least role that gives `scope`, for messages. */
function roleFor(scope: Scope): string {
  return ROLE_SCOPES.developer.includes(scope) ? 'a membership in an org' : 'the release_manager role in an org';
}

function isScope(name: string): name is Scope {
  return (SCOPES as readonly string[]).includes(name);
}

/** What a token is asked for with: scope names as sent (any unknown one is a 422), and an ISO time. */
interface TokenRequest {
  name: string;
  scopes: readonly string[];
  expiresAt?: string | undefined;
}

/** What bounds a new token beyond its owner's roles: the token that asks for it (absent for the admin command). */
interface Issuer {
  scopes: readonly Scope[];
  expiresAt: Date | null;
}

/**
 * Issues a token for `userId` with `request.scopes`, expiring at `request.expiresAt` (default: the issuer's expiry,
 * or never). A token never grants more than made it: every scope must be known, given by one of the user's roles and
 * held by the issuer, and the expiry in the future and no later than the issuer's; else a 422 naming each problem.
 */
export async function createToken(
  db: Queryable,
  userId: string,
  request: TokenRequest,
  issuer?: Issuer,
): Promise<CreatedToken> {
  const [user] = isUuid(userId)
    ? await db.query(sql`SELECT ARRAY(SELECT role::text FROM memberships WHERE user_id = u.id) AS roles
                          FROM users u WHERE u.id = ${userId}`)
    : [];
  if (!user) throw new NotFound(`User ${userId} was not found`);
  const given = new Set<Scope>(['read', ...(user.roles as Role[]).flatMap((role) => ROLE_SCOPES[role])]);
  const problems: FieldError[] = [];
  request.scopes.forEach((name, index) => {
    const path = `/body/scopes/${index}`;
    if (!isScope(name)) problems.push({ path, message: `"${name}" is not a scope (${SCOPES.join(', ')})` });
    else if (!given.has(name)) problems.push({ path, message: `${name} needs ${roleFor(name)}, which the user lacks` });
    else if (issuer && !issuer.scopes.includes(name)) {
      problems.push({ path, message: `the token that asks lacks the ${name} scope, so it cannot grant it` });
    }
  });
  let expiresAt = issuer?.expiresAt ?? null;
  if (request.expiresAt !== undefined) {
    expiresAt = new Date(request.expiresAt);
    const path = '/body/expiresAt';
    // the date-time format lets a leap second (23:59:60) through, which no Date can hold
    if (Number.isNaN(expiresAt.getTime())) {
      throw new BadRequest('expiresAt must be a valid ISO 8601 time.', [
        { path, message: 'must be a valid ISO 8601 time' },
      ]);
    }
    if (expiresAt.getTime() <= Date.now()) {
      problems.push({ path, message: `expiresAt ${request.expiresAt} is not in the future` });
    } else if (issuer?.expiresAt && expiresAt > issuer.expiresAt) {
      const message = `expiresAt ${request.expiresAt} is after ${issuer.expiresAt.toISOString()}, when the token that asks expires`;
      problems.push({ path, message });
    }
  }
  if (problems.length) {
    throw new Unprocessable(`The token cannot be issued: ${problems.map((p) => p.message).join('; ')}.`, problems);
  }
  const token = generateToken();
  const scopes = SCOPES.filter((scope) => request.scopes.includes(scope));
  const [row] = await db.query(sql`
    INSERT INTO api_tokens (user_id, token_hash, name, scopes, expires_at)
    VALUES (${userId}, ${hashToken(token)}, ${request.name}, ${scopes}, ${expiresAt})
    RETURNING id, expires_at
  `);
  return {
    id: row.id,
    token,
    name: request.name,
    scopes,
    expiresAt: row.expires_at ? isoTime(row.expires_at) : null,
  };
}

function toSummary(row: Row): TokenSummary {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes,
    createdAt: isoTime(row.created_at),
    expiresAt: row.expires_at ? isoTime(row.expires_at) : null,
    lastUsedAt: row.last_used_at ? isoTime(row.last_used_at) : null,
  };
}

/** One page of `userId`'s live tokens (expired ones included, revoked ones not), newest first; never a secret. */
export async function listTokens(
  db: Queryable,
  userId: string,
  page: { limit: number; cursor?: string },
): Promise<{ items: TokenSummary[]; nextCursor: string | null }> {
  const after = page.cursor ? decodeTimeCursor('tokens', page.cursor) : null;
  const rows = await db.query(sql`
    SELECT id, name, scopes, created_at, expires_at, last_used_at FROM api_tokens
    WHERE user_id = ${userId} AND revoked_at IS NULL
      ${after ? sql`AND (created_at, id) < (${after.at}, ${after.id})` : sql``}
    ORDER BY created_at DESC, id DESC
    LIMIT ${page.limit + 1}
  `);
  return keysetPage(rows, page.limit, toSummary, (last) =>
    encodeTimeCursor('tokens', { at: last.created_at, id: last.id }),
  );
}

/**
 * Revokes token `id`; when it returns, this process and every listening server have forgotten it (see
 * `forgottenEverywhere`).
 * With `caller`, only one of the caller's own live tokens, and only one no broader than the caller's token: a
 * narrow token that leaked cannot take a wider one away. Without (the admin command), any live token.
 */
export async function revokeTokenById(
  db: Queryable,
  id: string,
  caller?: { userId: string; scopes: readonly Scope[] },
): Promise<void> {
  const notFound = new NotFound(`Token ${id} was not found`);
  if (!isUuid(id)) throw notFound;
  // every listening server has forgotten it when this returns; this process forgets it too, listening or not
  await forgottenEverywhere(async () => {
    const hash = await db.tx(async (tx) => {
      const [row] = await tx.query(sql`
      SELECT scopes FROM api_tokens
      WHERE id = ${id} AND revoked_at IS NULL ${caller ? sql`AND user_id = ${caller.userId}` : sql``}
      FOR UPDATE
    `);
      if (!row) throw notFound;
      const missing = (row.scopes as Scope[]).filter((scope) => caller && !caller.scopes.includes(scope));
      if (missing.length) {
        throw new Forbidden(
          `Revoking this token needs a token with the ${missing.join(', ')} scope${missing.length > 1 ? 's' : ''}, as it has; the token you sent lacks ${missing.length > 1 ? 'them' : 'it'}.`,
        );
      }
      const [revoked] = await tx.query(
        sql`UPDATE api_tokens SET revoked_at = now() WHERE id = ${id} RETURNING token_hash`,
      );
      return revoked.token_hash as Buffer;
    });
    forgetIdentities(`token:${hash.toString('hex')}`);
    return { value: undefined, forget: [`token:${hash.toString('hex')}`] };
  });
}
