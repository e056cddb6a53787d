import type { Role } from '../../schemas/common';

/** A repo as seen by one member of its org (found with the caller's token, or by lib/domain/repos `repoForMember`). */
export interface RepoAccess {
  id: string;
  orgId: string;
  role: Role;
}

/** A repo named by GitHub's `{owner}/{repo}` (its org's slug and its name), as seen by one member of its org. */
export interface NamedRepoAccess extends RepoAccess {
  owner: string;
  name: string;
  createdAt: string;
}

/**
 * What of a repo's releases a caller sees: drafts only with a token that may create releases (the release scope);
 * to anyone else a draft is a release that does not exist.
 */
export function releaseVisibility(user: { token: { scopes: readonly string[] } }): { drafts: boolean } {
  return { drafts: user.token.scopes.includes('release') };
}
