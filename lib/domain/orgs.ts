import { orgSlug, type Role } from '../../schemas/common';
import { isUniqueViolation, type Queryable, sql } from '../infra/db';
import { BadRequest, Conflict, NotFound } from '../infra/errors';
import { isUuid } from '../infra/ids';
import { forgottenEverywhere, issueToken, type User } from './identity';

/**
 * The pipeline every new org starts with: dev, stg, prod in that order; stg and prod need a release manager to
 * deploy, and a release reaches prod only after it has succeeded in stg.
 */
export const DEFAULT_ENVIRONMENTS = [
  { name: 'dev', protected: false, requires: [] },
  { name: 'stg', protected: true, requires: [] },
  { name: 'prod', protected: true, requires: ['stg'] },
] as const;

export const SLUG_PATTERN = new RegExp(orgSlug.pattern);
/** A repo's name: letters, digits, dots, underscores and dashes, at most 100. */
export const REPO_NAME = /^[A-Za-z0-9._-]{1,100}$/;

export interface Org {
  id: string;
  slug: string;
}

/** Creates an org with its default environments, in one transaction. */
export async function createOrg(db: Queryable, slug: string, name = slug): Promise<Org> {
  if (!SLUG_PATTERN.test(slug))
    throw new BadRequest(`"${slug}" is not a valid org slug (lowercase letters, digits, dashes)`);
  return db.tx(async (tx) => {
    let org: Org;
    try {
      [org] = (await tx.query(sql`INSERT INTO orgs (slug, name) VALUES (${slug}, ${name}) RETURNING id, slug`)) as [
        Org,
      ];
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`An org with slug "${slug}" already exists`);
      throw err;
    }
    for (const [index, env] of DEFAULT_ENVIRONMENTS.entries()) {
      await tx.query(sql`
        INSERT INTO environments (org_id, name, protected, position)
        VALUES (${org.id}, ${env.name}, ${env.protected}, ${index + 1})`);
    }
    for (const env of DEFAULT_ENVIRONMENTS) {
      for (const required of env.requires) {
        await tx.query(sql`
          INSERT INTO environment_requirements (environment_id, required_environment_id)
          SELECT e.id, r.id FROM environments e JOIN environments r ON r.org_id = e.org_id AND r.name = ${required}
          WHERE e.org_id = ${org.id} AND e.name = ${env.name}`);
      }
    }
    return org;
  });
}

export async function findOrgBySlug(db: Queryable, slug: string): Promise<Org> {
  const [org] = await db.query(sql`SELECT id, slug FROM orgs WHERE slug = ${slug}`);
  if (!org) throw new NotFound(`No org with slug "${slug}"`);
  return org as Org;
}

export interface Repo {
  id: string;
  orgId: string;
  name: string;
}

export async function createRepo(db: Queryable, orgSlug: string, name: string): Promise<Repo> {
  if (!REPO_NAME.test(name))
    throw new BadRequest(`"${name}" is not a valid repo name (letters, digits, ".", "_", "-")`);
  const org = await findOrgBySlug(db, orgSlug);
  try {
    const [repo] = await db.query(
      sql`INSERT INTO repos (org_id, name) VALUES (${org.id}, ${name}) RETURNING id, org_id AS "orgId", name`,
    );
    return repo as Repo;
  } catch (err) {
    if (isUniqueViolation(err)) throw new Conflict(`Org "${orgSlug}" already has a repo named "${name}"`);
    throw err;
  }
}

/** Creates a user who is a member of `orgSlug` with `role`, and issues its first token. */
export async function createUser(
  db: Queryable,
  name: string,
  membership: { orgSlug: string; role: Role },
): Promise<{ id: string; token: string }> {
  return db.tx(async (tx) => {
    const org = await findOrgBySlug(tx, membership.orgSlug);
    const [user] = await tx.query(sql`INSERT INTO users (name) VALUES (${name}) RETURNING id`);
    await tx.query(
      sql`INSERT INTO memberships (org_id, user_id, role) VALUES (${org.id}, ${user.id}, ${membership.role})`,
    );
    const token = await issueToken(tx, user.id, 'default');
    return { id: user.id as string, token };
  });
}

/** Adds `userId` to `orgSlug` with `role`, or changes its role there. */
export async function addMember(db: Queryable, orgSlug: string, userId: string, role: Role): Promise<void> {
  const org = await findOrgBySlug(db, orgSlug);
  // a lowered role takes effect on every server from the next request
  await forgottenEverywhere(async () => {
    await db.query(sql`
      INSERT INTO memberships (org_id, user_id, role) VALUES (${org.id}, ${userId}, ${role})
      ON CONFLICT (org_id, user_id) DO UPDATE SET role = EXCLUDED.role
    `);
    return { value: undefined, forget: [`user:${userId}`] };
  });
}

export interface Bootstrap {
  token: string;
  userId: string;
  orgId: string;
  repoId: string;
}

/**
 * On an empty database, creates org `default` (dev, stg, prod), repo `demo` and user `admin` as release manager,
 * and returns the admin's token; on any other database, returns null and changes nothing. Safe when two
 * processes start at once: the check and the writes run under one transaction-scoped advisory lock.
 */
export async function bootstrap(db: Queryable): Promise<Bootstrap | null> {
  return db.tx(async (tx) => {
    await tx.query(sql`SELECT pg_advisory_xact_lock(hashtext('gitweave.releases.bootstrap'))`);
    const [{ empty }] = await tx.query(sql`SELECT NOT EXISTS (SELECT 1 FROM orgs) AS empty`);
    if (!empty) return null;
    const org = await createOrg(tx, 'default', 'Default');
    const repo = await createRepo(tx, 'default', 'demo');
    const admin = await createUser(tx, 'admin', { orgSlug: 'default', role: 'release_manager' });
    return { token: admin.token, userId: admin.id, orgId: org.id, repoId: repo.id };
  });
}

/** An org as seen by one of its members. */
export interface OrgAccess {
  id: string;
  slug: string;
  role: Role;
}

/**
 * The org named by `ref` (its id or its slug) if `userId` is a member of it. An org the user is not in is reported
 * exactly like one that does not exist, so nothing leaks across orgs.
 */
export async function orgForMember(db: Queryable, ref: string, userId: string): Promise<OrgAccess> {
  const [row] = await db.query(sql`
    SELECT o.id, o.slug, m.role
    FROM orgs o JOIN memberships m ON m.org_id = o.id AND m.user_id = ${userId}
    WHERE ${isUuid(ref) ? sql`o.id = ${ref}` : sql`o.slug = ${ref}`}
  `);
  if (!row) throw new NotFound(`Org ${ref} was not found`);
  return row as OrgAccess;
}

/**
 * The id of org `ref` (its id or slug) for a member of it, else NotFound: from the caller's memberships, with no
 * query, when `ref` is an id.
 */
export async function orgIdForMember(db: Queryable, ref: string, user: Pick<User, 'id' | 'roles'>): Promise<string> {
  if (isUuid(ref)) {
    const id = ref.toLowerCase();
    if (!user.roles.has(id)) throw new NotFound(`Org ${ref} was not found`);
    return id;
  }
  return (await orgForMember(db, ref, user.id)).id;
}
