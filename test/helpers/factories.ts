import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import createConnectionPool, { type ConnectionPool } from '@databases/pg';
import { inject } from 'vitest';
import { addMember, createOrg, createRepo, createUser } from '../../lib/domain/orgs';
import { createToken } from '../../lib/domain/tokens';
import type { Scope } from '../../schemas/tokens';

/** A pool of the test's own on the run's database, for factories and for asserting on rows. */
export function testPool(): ConnectionPool {
  return createConnectionPool({ connectionString: inject('databaseUrl'), bigIntMode: 'number', poolSize: 3 });
}

function uniqueSlug(prefix = 'org'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

export interface Member {
  id: string;
  token: string;
}

/** A fresh org with its default environments, one repo, a release manager, a developer and an outsider. */
export async function orgWithMembers(pool: ConnectionPool) {
  const org = await createOrg(pool, uniqueSlug());
  const repo = await createRepo(pool, org.slug, 'app');
  const releaseManager: Member = await createUser(pool, 'rm', { orgSlug: org.slug, role: 'release_manager' });
  const developer: Member = await createUser(pool, 'dev', { orgSlug: org.slug, role: 'developer' });
  const otherOrg = await createOrg(pool, uniqueSlug('other'));
  const otherRepo = await createRepo(pool, otherOrg.slug, 'app');
  const outsider: Member = await createUser(pool, 'outsider', { orgSlug: otherOrg.slug, role: 'release_manager' });
  return { org, repo, releaseManager, developer, outsider, otherOrg, otherRepo, addMember };
}

/**
 * Writes a file onto the run's artifacts volume where a build of `repoId` would (its own `builds/<repo>/`, the only
 * place it may register from) and returns its path relative to the volume.
 */
export function writeBuildFile(repoId: string, name: string, content: string | Buffer): string {
  const relative = `builds/${repoId}/${name}`;
  const absolute = path.join(inject('artifactsDir'), relative);
  fs.mkdirSync(path.dirname(absolute), { recursive: true });
  fs.writeFileSync(absolute, content);
  return relative;
}

/** A further token of `userId` with only `scopes`, and an expiry when given, as POST /tokens would issue it. */
export async function tokenWith(pool: ConnectionPool, userId: string, scopes: Scope[], expiresAt?: Date) {
  return createToken(pool, userId, {
    name: `only ${scopes.join(', ')}`,
    scopes,
    ...(expiresAt ? { expiresAt: expiresAt.toISOString() } : {}),
  });
}
