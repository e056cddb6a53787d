/**
 * The parts of the public API's responses the dashboard reads: a client's view of the OpenAPI document
 * (GET /api/v1/openapi.json). Fields the page does not use are left out; the roles are their schema's enum.
 */

import type { Role } from '../../schemas/common';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface MemberRepo {
  id: string;
  name: string;
  org: { id: string; slug: string };
  role: Role;
}

/** Who did something, as the API shows people. */
interface Person {
  id: string;
  name: string;
}

export interface RepoEnvironment {
  id: string;
  name: string;
  protected: boolean;
  position: number;
  /** names of the environments where a release must have succeeded first */
  requires: string[];
  requiredApprovals: number;
  current: { deploymentId: string; releaseId: string; version: string; deployedAt: string; deployedBy: Person } | null;
}

export interface ReleaseSummary {
  id: string;
  version: string;
  createdAt: string;
  createdBy: Person;
  artifactCount: number;
}

interface Artifact {
  id: string;
  name: string;
  sizeBytes: number;
  sha256: string;
  contentType: string;
}

export interface ReleaseDeployment {
  id: string;
  environment: { id: string; name: string };
  status: string;
  startedAt: string;
  endedAt: string | null;
  deployedBy: Person;
}

export interface Release {
  id: string;
  version: string;
  createdAt: string;
  createdBy: Person;
  notes: string;
  artifacts: Artifact[];
  deployments: ReleaseDeployment[];
  deploymentCount: number;
}

/** The caller (GET /user). */
export interface CurrentUser {
  id: string;
  name: string;
  token: { scopes: string[] };
}

/** A deployment as an environment's history lists it. */
export interface Deployment {
  id: string;
  releaseId: string;
  version: string;
  environment: { id: string; name: string };
  status: string;
  kind: 'deploy' | 'rollback';
  rollbackOf: string | null;
  reason: string | null;
  requiredApprovals: number;
  startedAt: string;
  endedAt: string | null;
  deployedBy: Person;
}

interface Review {
  id: string;
  reviewer: Person;
  decision: 'approve' | 'reject';
  comment: string | null;
  createdAt: string;
}

export interface DeploymentDetail extends Deployment {
  reviews: Review[];
}

interface Distribution {
  count: number;
  medianSeconds: number | null;
  p90Seconds: number | null;
}

/** GET /repos/{repo}/metrics. */
export interface DeliveryMetrics {
  environment: { id: string; name: string };
  from: string;
  to: string;
  bucket: 'day' | 'week';
  buckets: Array<{ start: string; deployments: number; successes: number; failures: number; rollbacks: number }>;
  deploymentFrequency: number;
  changeFailureRate: number | null;
  timeToRestore: Distribution;
  leadTime: Distribution;
}

/** RFC 9457 problem details, as every error of the API carries them. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: Array<{ path: string; message: string }>;
}
