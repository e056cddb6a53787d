import type { GithubAsset, GithubRelease, GithubUser } from '../domain/github';
import type { GithubDeployment, GithubDeploymentStatus, GithubEnvironment } from '../domain/githubDeployments';
import { githubPageLinks } from './github';

/**
 * GitHub's REST objects for ours: the fields GitHub's clients read, with absolute URLs on the origin the client
 * called (`/api/v3` for the API, `/api/uploads` for uploads, `/api/v1/…/content` for downloads).
 */
export class GithubViews {
  readonly api: string;
  readonly repoUrl: string;

  constructor(
    readonly origin: string,
    readonly owner: string,
    readonly repo: string,
  ) {
    this.api = `${origin}/api/v3`;
    this.repoUrl = `${this.api}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}`;
  }

  user(user: GithubUser) {
    return {
      login: user.name,
      id: user.githubId,
      node_id: `U_${user.githubId}`,
      type: 'User',
      site_admin: false,
      url: `${this.api}/users/${encodeURIComponent(user.name)}`,
      html_url: `${this.origin}/`,
    };
  }

  asset(asset: GithubAsset) {
    return {
      url: `${this.repoUrl}/releases/assets/${asset.githubId}`,
      browser_download_url: `${this.origin}/api/v1/repos/${asset.repoId}/artifacts/${asset.id}/content`,
      id: asset.githubId,
      node_id: `RA_${asset.githubId}`,
      name: asset.name,
      label: asset.label,
      state: 'uploaded',
      content_type: asset.contentType,
      size: asset.size,
      digest: `sha256:${asset.sha256}`,
      download_count: 0,
      created_at: asset.createdAt,
      updated_at: asset.createdAt,
      uploader: null,
    };
  }

  release(release: GithubRelease) {
    const url = `${this.repoUrl}/releases/${release.githubId}`;
    const tag = `v${release.version}`;
    return {
      url,
      html_url: `${this.origin}/`,
      assets_url: `${url}/assets`,
      upload_url: `${this.origin}/api/uploads/repos/${encodeURIComponent(this.owner)}/${encodeURIComponent(this.repo)}/releases/${release.githubId}/assets{?name,label}`,
      tarball_url: null,
      zipball_url: null,
      id: release.githubId,
      node_id: `RE_${release.githubId}`,
      tag_name: tag,
      target_commitish: release.commit ?? tag,
      name: tag,
      body: release.notes,
      draft: false,
      prerelease: release.prerelease,
      immutable: false,
      created_at: release.createdAt,
      published_at: release.createdAt,
      author: this.user(release.author),
      assets: release.assets.map((asset) => this.asset(asset)),
    };
  }

  deployment(deployment: GithubDeployment) {
    const url = `${this.repoUrl}/deployments/${deployment.githubId}`;
    return {
      url,
      id: deployment.githubId,
      node_id: `DE_${deployment.githubId}`,
      sha: deployment.commit ?? deployment.tag,
      ref: deployment.tag,
      task: 'deploy',
      payload: {},
      original_environment: deployment.environment,
      environment: deployment.environment,
      description: deployment.description,
      creator: this.user(deployment.creator),
      created_at: deployment.createdAt,
      updated_at: deployment.updatedAt,
      statuses_url: `${url}/statuses`,
      repository_url: this.repoUrl,
      transient_environment: false,
      production_environment: false,
    };
  }

  status(status: GithubDeploymentStatus) {
    const deploymentUrl = `${this.repoUrl}/deployments/${status.deploymentGithubId}`;
    return {
      url: `${deploymentUrl}/statuses/${status.githubId}`,
      id: status.githubId,
      node_id: `DES_${status.githubId}`,
      state: status.state,
      creator: this.user(status.creator),
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

  environment(environment: GithubEnvironment) {
    return {
      id: environment.githubId,
      node_id: `EN_${environment.githubId}`,
      name: environment.name,
      url: `${this.repoUrl}/environments/${encodeURIComponent(environment.name)}`,
      html_url: `${this.origin}/`,
      created_at: environment.createdAt,
      updated_at: environment.createdAt,
      protection_rules:
        environment.requiredApprovals > 0
          ? [
              {
                id: environment.githubId,
                node_id: `GA_${environment.githubId}`,
                type: 'required_reviewers',
                reviewers: [],
              },
            ]
          : [],
      deployment_branch_policy: null,
    };
  }

  /**
   * GitHub's Link header for page `page` of a list of `total` items, `perPage` a page, at `path`?`query`; `next`
   * resumes at `nextCursor` where the list gives one.
   */
  links(
    path: string,
    query: Record<string, unknown>,
    page: { page: number; perPage: number },
    list: { total: number; nextCursor?: string | null },
  ) {
    const url = new URL(`${this.origin}${path}`);
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, String(value));
    url.searchParams.set('per_page', String(page.perPage));
    const lastPage = Math.max(1, Math.ceil(list.total / page.perPage));
    return githubPageLinks(url, page.page, lastPage, list.nextCursor ?? null);
  }
}
