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

/** RFC 9457 problem details, as every error of the API carries them. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: Array<{ path: string; message: string }>;
}
