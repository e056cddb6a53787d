/**
 * The API's responses as the dashboard reads them: the types of the same schemas (schemas/) the API validates and
 * documents its answers with, so the page and the API cannot drift apart.
 */

export type { Problem } from '../../schemas/common';
export type { Deployment, DeploymentDetail } from '../../schemas/deployments';
export type { RepoEnvironment } from '../../schemas/environments';
export type { DeliveryMetrics } from '../../schemas/metrics';
export type { ReleaseNotes } from '../../schemas/releaseNotes';
export type { Release, ReleaseSummary } from '../../schemas/releases';
export type { MemberRepo } from '../../schemas/repos';
export type { CurrentUser } from '../../schemas/tokens';

import type { Release } from '../../schemas/releases';

/** One deployment as a release lists its newest ones. */
export type ReleaseDeployment = Release['deployments'][number];

/** A page of a keyset-paginated list. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
