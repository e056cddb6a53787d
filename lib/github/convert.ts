import type { Deployment } from '../../schemas/deployments';
import type { Environment } from '../../schemas/environments';
import type { Release } from '../../schemas/releases';
import type { NamedRepoAccess } from '../domain/access';
import type { StatusEntry } from '../domain/deploymentHistory';
import type { GithubAccount } from '../domain/githubAccounts';
import { type GithubTable, githubIds } from '../domain/githubIds';
import type { ReleaseArtifact } from '../domain/releaseAssets';
import type { Queryable } from '../infra/db';

type Person = { id: string; name: string };

/** GitHub's user object for a person with GitHub id `githubId`. */
function githubUser(origin: string, person: { githubId: number; name: string }) {
  return {
    login: person.name,
    id: person.githubId,
    node_id: `U_${person.githubId}`,
    type: 'User',
    site_admin: false,
    url: `${origin}/api/v3/users/${encodeURIComponent(person.name)}`,
    html_url: `${origin}/`,
  };
}

/**
 * GitHub's REST objects for ours (as Gitea's services/convert does it): the fields GitHub's clients read, with
 * absolute URLs on the origin the client called (`/api/v3` for the API, `/api/uploads` for uploads, `/api/v1/…/content`
 * for downloads). Built for the objects of one answer, whose GitHub ids it reads in one query.
 */
export class Convert {
  readonly api: string;
  readonly repoUrl: string;

  private constructor(
    readonly origin: string,
    readonly repo: NamedRepoAccess,
    private readonly id: (table: GithubTable, id: string) => number,
  ) {
    this.api = `${origin}/api/v3`;
    this.repoUrl = `${this.api}/repos/${encodeURIComponent(repo.owner)}/${encodeURIComponent(repo.name)}`;
  }

  /** A converter for the objects of one answer (the ones whose GitHub ids it will need). */
  static async of(
    db: Queryable,
    origin: string,
    repo: NamedRepoAccess,
    objects: {
      releases?: Release[];
      deployments?: Deployment[];
      statuses?: StatusEntry[];
      environments?: Environment[];
      artifacts?: ReleaseArtifact[];
    },
  ): Promise<Convert> {
    const releases = objects.releases ?? [];
    const deployments = objects.deployments ?? [];
    const statuses = objects.statuses ?? [];
    const ids = await githubIds(db, {
      releases: releases.map((r) => r.id),
      artifacts: [...releases.flatMap((r) => r.artifacts), ...(objects.artifacts ?? [])].map((a) => a.id),
      deployments: [...deployments.map((d) => d.id), ...statuses.map((s) => s.deploymentId)],
      environments: (objects.environments ?? []).map((e) => e.id),
      users: [
        ...releases.map((r) => r.createdBy),
        ...deployments.map((d) => d.deployedBy),
        ...statuses.map((s) => s.createdBy),
      ].map((u) => u.id),
    });
    return new Convert(origin, repo, ids);
  }

  user(user: Person) {
    return githubUser(this.origin, { githubId: this.id('users', user.id), name: user.name });
  }

  asset(asset: ReleaseArtifact) {
    const id = this.id('artifacts', asset.id);
    return {
      url: `${this.repoUrl}/releases/assets/${id}`,
      browser_download_url: `${this.origin}/api/v1/repos/${asset.repoId}/artifacts/${asset.id}/content`,
      id,
      node_id: `RA_${id}`,
      name: asset.name,
      label: asset.label ?? '',
      state: 'uploaded',
      content_type: asset.contentType,
      size: asset.sizeBytes,
      digest: `sha256:${asset.sha256}`,
      download_count: 0,
      created_at: asset.createdAt,
      updated_at: asset.createdAt,
      uploader: null,
    };
  }

  /** A release's assets as GitHub lists them: in the order they were uploaded. */
  assets(release: Release) {
    return release.artifacts.map((artifact) => this.asset(artifact)).sort((a, b) => a.id - b.id);
  }

  release(release: Release) {
    const id = this.id('releases', release.id);
    const url = `${this.repoUrl}/releases/${id}`;
    const tag = `v${release.version}`;
    const { owner, name } = this.repo;
    return {
      url,
      html_url: `${this.origin}/`,
      assets_url: `${url}/assets`,
      upload_url: `${this.origin}/api/uploads/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}/releases/${id}/assets{?name,label}`,
      tarball_url: null,
      zipball_url: null,
      id,
      node_id: `RE_${id}`,
      tag_name: tag,
      target_commitish: release.commit ?? tag,
      name: release.title,
      body: release.notes,
      draft: release.draft,
      prerelease: release.version.replace(/\+.*$/, '').includes('-'),
      immutable: false,
      created_at: release.createdAt,
      published_at: release.publishedAt,
      author: this.user(release.createdBy),
      assets: this.assets(release),
    };
  }

  deployment(deployment: Deployment) {
    const id = this.id('deployments', deployment.id);
    const url = `${this.repoUrl}/deployments/${id}`;
    const tag = `v${deployment.version}`;
    return {
      url,
      id,
      node_id: `DE_${id}`,
      sha: deployment.commit ?? tag,
      ref: tag,
      task: 'deploy',
      payload: {},
      original_environment: deployment.environment.name,
      environment: deployment.environment.name,
      description: deployment.description ?? null,
      creator: this.user(deployment.deployedBy),
      created_at: deployment.startedAt,
      updated_at: deployment.endedAt ?? deployment.startedAt,
      statuses_url: `${url}/statuses`,
      repository_url: this.repoUrl,
      transient_environment: false,
      production_environment: false,
    };
  }

  status(status: StatusEntry) {
    const deploymentUrl = `${this.repoUrl}/deployments/${this.id('deployments', status.deploymentId)}`;
    return {
      url: `${deploymentUrl}/statuses/${status.id}`,
      id: status.id,
      node_id: `DES_${status.id}`,
      state: status.state,
      creator: this.user(status.createdBy),
      description: status.description,
      environment: status.environment,
      target_url: status.logUrl ?? '',
      log_url: status.logUrl ?? '',
      environment_url: status.environmentUrl ?? '',
      created_at: status.createdAt,
      updated_at: status.createdAt,
      deployment_url: deploymentUrl,
      repository_url: this.repoUrl,
    };
  }

  /**
   * An environment with its protection as GitHub shows it: required_reviewers where it needs approvals (with their
   * count, `required_approvals`: any N of the org's release managers), and required_environments (ours: the
   * environments a release must have succeeded in first), each rule only where it applies.
   */
  environment(environment: Environment) {
    const id = this.id('environments', environment.id);
    const rules: Record<string, unknown>[] = [];
    if (environment.requiredApprovals > 0) {
      rules.push({
        id,
        node_id: `GA_${id}`,
        type: 'required_reviewers',
        prevent_self_review: false,
        reviewers: [],
        required_approvals: environment.requiredApprovals,
      });
    }
    if (environment.requires.length) {
      rules.push({ id, node_id: `GR_${id}`, type: 'required_environments', environments: environment.requires });
    }
    return {
      id,
      node_id: `EN_${id}`,
      name: environment.name,
      url: `${this.repoUrl}/environments/${encodeURIComponent(environment.name)}`,
      html_url: `${this.origin}/`,
      created_at: environment.createdAt,
      updated_at: environment.createdAt,
      can_admins_bypass: false,
      protection_rules: rules,
      deployment_branch_policy: null,
    };
  }
}

/** GitHub's user object for a person, with what `/user` adds for the token's owner. */
export function accountView(origin: string, account: GithubAccount) {
  return {
    ...githubUser(origin, account),
    name: account.name,
    created_at: account.createdAt,
    updated_at: account.createdAt,
  };
}

/** GitHub's integer id of a row with no sequence of its own (repos, orgs): the first 48 bits of its uuid. */
function idOfUuid(uuid: string): number {
  return Number.parseInt(uuid.replace(/-/g, '').slice(0, 12), 16);
}

/**
 * GitHub's repository object with what its clients read: ids, names, the owner (an organization), visibility (a repo
 * is seen by its org's members only: private), and the caller's permissions as its role gives them (a developer may
 * release and deploy where it is not protected: push; a release manager also runs the org's environments: maintain).
 */
export function repositoryView(origin: string, repo: NamedRepoAccess) {
  const api = `${origin}/api/v3`;
  const repoUrl = `${api}/repos/${encodeURIComponent(repo.owner)}/${encodeURIComponent(repo.name)}`;
  const id = idOfUuid(repo.id);
  return {
    id,
    node_id: `R_${id}`,
    name: repo.name,
    full_name: `${repo.owner}/${repo.name}`,
    owner: {
      login: repo.owner,
      id: idOfUuid(repo.orgId),
      type: 'Organization',
      site_admin: false,
      url: `${api}/orgs/${encodeURIComponent(repo.owner)}`,
      html_url: `${origin}/`,
    },
    private: true,
    visibility: 'private',
    description: null,
    fork: false,
    archived: false,
    disabled: false,
    default_branch: 'main',
    url: repoUrl,
    html_url: `${origin}/`,
    releases_url: `${repoUrl}/releases{/id}`,
    deployments_url: `${repoUrl}/deployments`,
    created_at: repo.createdAt,
    updated_at: repo.createdAt,
    permissions: { admin: false, maintain: repo.role === 'release_manager', push: true, triage: true, pull: true },
  };
}

/** GitHub's root document: the URL templates of what this surface serves, on the origin the client called. */
export function rootView(origin: string) {
  const api = `${origin}/api/v3`;
  return {
    current_user_url: `${api}/user`,
    user_url: `${api}/users/{user}`,
    repository_url: `${api}/repos/{owner}/{repo}`,
  };
}
