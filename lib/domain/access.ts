import type { Role } from '../../schemas/common';

/** A repo as seen by one member of its org (found with the caller's token, or by lib/domain/repos `repoForMember`). */
export interface RepoAccess {
  id: string;
  orgId: string;
  role: Role;
}
