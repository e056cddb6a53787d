import { createHash, randomBytes } from 'node:crypto';
import type { Role } from '../../schemas/common';
import type { Scope } from '../../schemas/tokens';
import { config } from '../infra/config';
import { type Queryable, sql } from '../infra/db';
import { Unauthorized } from '../infra/errors';
import { answeredByListeners, type Reply } from '../infra/listen';
import { metrics } from '../infra/metrics';
import type { RepoAccess } from './access';

/** The caller of a request, as its token identifies it. */
export interface User {
  id: string;
  name: string;
  /** the caller's role in each org it is a member of, by org id (as the token resolved it) */
  roles: ReadonlyMap<string, Role>;
  /** the token the request came with: what it may do (lib/http checks each endpoint's scope) and until when */
  token: { id: string; scopes: Scope[]; expiresAt: Date | null };
}

/** What a token resolved to: its user and, when the request named a repo, the user's access to it. */
export interface Authenticated {
  user: User;
  /** the user's access to the repo asked about: null when it is not a member of its org, or there is no such repo */
  repo?: RepoAccess | null;
}

const TOKEN_PREFIX = 'gwr_';
const TOKEN_PATTERN = /^gwr_[A-Za-z0-9_-]{43}$/;

/** A new API token: 32 random bytes, prefixed so that secret scanners can spot a leaked one. */
export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** True when `token` has the shape of a token we issue (so a malformed one costs no query). */
function isWellFormedToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}

/** What a token resolves to: its user, every org membership, its scopes and expiry, cached per token (see `authenticate`). */
interface Identity {
  user: { id: string; name: string };
  roles: Map<string, Role>;
  token: { id: string; scopes: Scope[]; expiresAt: number | null };
}

const identities = new Map<string, { identity: Identity; expires: number }>();
/** repo id → org id: a repo never changes org, so this needs no invalidation */
const repoOrgs = new Map<string, string>();
/** bumped by every invalidation, so that a lookup that raced one does not cache what it read before it */
let generation = 0;
const MAX_CACHED = 10_000;
const HIT = { result: 'hit' } as const;
const MISS = { result: 'miss' } as const;

/** How many tokens this process holds resolved now (a gauge of the metrics). */
export function cachedIdentities(): number {
  return identities.size;
}

/** The channel a trigger NOTIFYs on when a token, a membership or a user changes (migration 0009). */
export const IDENTITY_CHANNEL = 'gitweave_identity';
/** Where a server answers each identity change once it has forgotten it (see `forgottenEverywhere`). */
const IDENTITY_ACK_CHANNEL = 'gitweave_identity_ack';
const ACK_WAIT_MS = 2_000;

/** A server's handler of identity changes: forget, then say so to whoever waits for it. */
export function onIdentityChange(payload: string, reply: Reply): void {
  forgetIdentities(payload);
  reply(IDENTITY_ACK_CHANNEL, payload);
}

/**
 * Runs `change` (a write that takes access away: it must commit before it returns) and returns once every server
 * that was listening has forgotten what the change says it touched (`forget`: `token:<sha256 hex>` or `user:<id>`;
 * none when it changed nothing, so no trigger fired), or after 2 s for a server that does not answer. The NOTIFY
 * reaches servers at commit, but a request already on its way to one could otherwise overtake it: with this, the
 * next request after the change returns is refused on every server.
 */
export async function forgottenEverywhere<T>(change: () => Promise<{ value: T; forget: string[] }>): Promise<T> {
  const { databaseUrl, databaseTimeoutMs } = config();
  if (!databaseUrl) return (await change()).value;
  const answered = { channel: IDENTITY_ACK_CHANNEL, timeoutMs: databaseTimeoutMs, waitMs: ACK_WAIT_MS };
  return answeredByListeners(databaseUrl, answered, async () => {
    const { value, forget } = await change();
    return { value, payloads: forget };
  });
}

/** Where a process LISTENs for identity changes, whether it is subscribed now; null where nothing listens (Lambda). */
let subscribed: boolean | null = null;

/**
 * Tells the cache that this process LISTENs on IDENTITY_CHANNEL (`true`) or has lost that subscription (`false`):
 * from the first call on, identities are cached only while subscribed, since a change sent meanwhile would be missed.
 * Either way, everything cached so far is forgotten.
 */
export function identitySubscription(listening: boolean): void {
  subscribed = listening;
  forgetIdentities();
}

/**
 * Forgets cached identities after a NOTIFY on IDENTITY_CHANNEL: `token:<sha256 hex>`, `user:<id>`, or anything
 * else (`*`) for all of them.
 */
export function forgetIdentities(payload = '*'): void {
  generation++;
  metrics.identityInvalidations.inc();
  if (payload.startsWith('token:')) identities.delete(payload.slice(6));
  else if (payload.startsWith('user:')) {
    const userId = payload.slice(5);
    for (const [key, entry] of identities) if (entry.identity.user.id === userId) identities.delete(key);
  } else identities.clear();
}

async function lookUp(db: Queryable, hash: Buffer, repoId: string | undefined) {
  const [row] = await db.query(sql`
    SELECT t.id AS token_id, t.scopes, t.expires_at, u.id, u.name,
           (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute') AS stale,
           ARRAY(SELECT m.org_id || ':' || m.role FROM memberships m WHERE m.user_id = u.id) AS roles
           ${repoId ? sql`, (SELECT r.org_id FROM repos r WHERE r.id = ${repoId}) AS repo_org_id` : sql``}
    FROM api_tokens t JOIN users u ON u.id = t.user_id
    WHERE t.token_hash = ${hash} AND t.revoked_at IS NULL
  `);
  if (!row) return null;
  const expiresAt = row.expires_at ? (row.expires_at as Date).getTime() : null;
  // an expired token is refused, so it was not used
  if (row.stale && !(expiresAt !== null && expiresAt <= Date.now())) {
    await db.query(sql`UPDATE api_tokens SET last_used_at = now() WHERE id = ${row.token_id}`);
  }
  const roles = new Map<string, Role>();
  for (const entry of row.roles as string[]) {
    const [orgId, role] = entry.split(':') as [string, Role];
    roles.set(orgId, role);
  }
  const token = { id: row.token_id as string, scopes: row.scopes as Scope[], expiresAt };
  return {
    identity: { user: { id: row.id as string, name: row.name as string }, roles, token },
    repoOrgId: row.repo_org_id,
  };
}

/**
 * The user a token belongs to, with the token's scopes, or null when it is unknown or revoked; an expired token is a
 * 401 that says so. Looked up by its SHA-256 hash, so the comparison happens on a digest in an index, never on the
 * secret. Marks the token used at most once a minute.
 * With `repoId`, it also finds the user's access to that repo in the same round trip, which saves every repo-scoped
 * request one (lib/http hands it to the handler).
 *
 * What a token resolves to is kept in this process for `authCacheTtlMs`, so a warm server spends no round trip on
 * it. A revoked token, a removed membership or a changed role is forgotten at once where the process LISTENs for
 * identity changes (the server does: see `forgetIdentities`); the lifetime bounds it where nothing listens (Lambda).
 * Expiry needs no message: it is compared on every request, cached or not.
 */
export async function authenticate(db: Queryable, token: string, repoId?: string): Promise<Authenticated | null> {
  if (!isWellFormedToken(token)) return null;
  const hash = hashToken(token);
  const key = hash.toString('hex');
  const now = Date.now();
  let identity = identities.get(key);
  let repoOrgId = repoId ? repoOrgs.get(repoId) : undefined;
  const cached = identity !== undefined && identity.expires > now;
  metrics.identityLookups.inc(cached ? HIT : MISS);
  if (!identity || !cached) {
    const before = generation;
    const found = await lookUp(db, hash, repoId && repoOrgId === undefined ? repoId : undefined);
    if (!found) {
      identities.delete(key);
      return null;
    }
    identity = { identity: found.identity, expires: now + config().authCacheTtlMs };
    if (before === generation && config().authCacheTtlMs > 0 && subscribed !== false) {
      if (identities.size >= MAX_CACHED) identities.clear();
      identities.set(key, identity);
    }
    if (found.repoOrgId) repoOrgId = found.repoOrgId as string;
  }
  const { token: found } = identity.identity;
  // compared here on every request, so that a cached token stops at its expiry, not at the cache's
  if (found.expiresAt !== null && found.expiresAt <= now) {
    throw new Unauthorized(`The API token expired at ${new Date(found.expiresAt).toISOString()}; make a new one.`);
  }
  if (cached && repoId && repoOrgId === undefined) {
    const [repo] = await db.query(sql`SELECT org_id FROM repos WHERE id = ${repoId}`);
    repoOrgId = repo?.org_id as string | undefined;
  }
  if (repoId && repoOrgId) {
    if (repoOrgs.size >= MAX_CACHED) repoOrgs.clear();
    repoOrgs.set(repoId, repoOrgId);
  }
  const roles = identity.identity.roles;
  const { id, name } = identity.identity.user;
  const user: User = {
    id,
    name,
    roles,
    token: {
      id: found.id,
      scopes: found.scopes,
      expiresAt: found.expiresAt === null ? null : new Date(found.expiresAt),
    },
  };
  if (!repoId) return { user };
  const role = repoOrgId ? roles.get(repoOrgId) : undefined;
  return { user, repo: role && repoOrgId ? { id: repoId, orgId: repoOrgId, role } : null };
}

/** Issues a token with every scope and no expiry for `userId`; the token is returned once and only its hash is kept. */
export async function issueToken(db: Queryable, userId: string, name: string): Promise<string> {
  const token = generateToken();
  await db.query(
    sql`INSERT INTO api_tokens (user_id, token_hash, name) VALUES (${userId}, ${hashToken(token)}, ${name})`,
  );
  return token;
}

/** Revokes `token`; false when no live token has that value. Every server refuses it from the next request. */
export async function revokeToken(db: Queryable, token: string): Promise<boolean> {
  const hash = hashToken(token);
  return forgottenEverywhere(async () => {
    const rows = await db.query(sql`
      UPDATE api_tokens SET revoked_at = now()
      WHERE token_hash = ${hash} AND revoked_at IS NULL
      RETURNING id
    `);
    return { value: rows.length > 0, forget: rows.length > 0 ? [`token:${hash.toString('hex')}`] : [] };
  });
}

/** Orders the reads of waiting requests and the checks below: a check serves only the reads that ended before it began. */
let clock = 0;
const checking = new Map<
  string,
  { began: number; found: Promise<{ revoked: boolean; expiresAt: Date | null; member: boolean } | null> }
>();

async function checkToken(db: Queryable, tokenId: string, userId: string, orgId: string) {
  const [row] = await db.query(sql`
    SELECT t.revoked_at IS NOT NULL AS revoked, t.expires_at,
           EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = ${orgId} AND m.user_id = t.user_id) AS member
    FROM api_tokens t WHERE t.id = ${tokenId} AND t.user_id = ${userId}
  `);
  return row
    ? { revoked: row.revoked as boolean, expiresAt: row.expires_at as Date | null, member: row.member as boolean }
    : null;
}

/**
 * Checks again, past every cache, that the token `user` came with still holds (not revoked, not expired) and that
 * its user is still a member of org `orgId`: for a request that waited (a long poll), before it answers with what it
 * read meanwhile; call it once that read is done. Throws a 401 for the token; false when the membership is gone.
 * Requests waiting with the same token share one query, begun after each of their reads (a woken feed may answer
 * hundreds at once).
 */
export async function stillMember(db: Queryable, user: Pick<User, 'id' | 'token'>, orgId: string): Promise<boolean> {
  const readDone = ++clock;
  const key = `${user.token.id} ${orgId}`;
  let check = checking.get(key);
  if (!check || check.began < readDone) {
    const began = ++clock;
    const found = checkToken(db, user.token.id, user.id, orgId);
    const mine = { began, found };
    check = mine;
    checking.set(key, mine);
    const forget = () => {
      if (checking.get(key) === mine) checking.delete(key);
    };
    found.then(forget, forget);
  }
  const row = await check.found;
  if (!row || row.revoked) throw new Unauthorized('The API token has been revoked.');
  if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) {
    throw new Unauthorized(`The API token expired at ${row.expiresAt.toISOString()}; make a new one.`);
  }
  return row.member;
}
