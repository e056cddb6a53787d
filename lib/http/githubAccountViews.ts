import type { GithubAccount, GithubRepository } from '../domain/githubAccounts';
import type { GithubViews } from './githubViews';

/** GitHub's user object for a person, with what `/user` adds for the token's owner. */
export function accountView(views: GithubViews, account: GithubAccount) {
  return {
    ...views.user({ githubId: account.githubId, name: account.name }),
    name: account.name,
    created_at: account.createdAt,
    updated_at: account.createdAt,
  };
}

/**
 * GitHub's repository object with what its clients read: ids, names, the owner (an organization), visibility (a repo
 * is seen by its org's members only: private), and the caller's permissions as its role gives them (a developer may
 * release and deploy where it is not protected: push; a release manager also runs the org's environments: maintain).
 */
export function repositoryView(views: GithubViews, repo: GithubRepository) {
  const manager = repo.role === 'release_manager';
  const owner = encodeURIComponent(repo.owner);
  return {
    id: repo.githubId,
    node_id: `R_${repo.githubId}`,
    name: repo.name,
    full_name: `${repo.owner}/${repo.name}`,
    owner: {
      login: repo.owner,
      id: Number.parseInt(repo.orgId.replace(/-/g, '').slice(0, 12), 16),
      type: 'Organization',
      site_admin: false,
      url: `${views.api}/orgs/${owner}`,
      html_url: `${views.origin}/`,
    },
    private: true,
    visibility: 'private',
    description: null,
    fork: false,
    archived: false,
    disabled: false,
    default_branch: 'main',
    url: views.repoUrl,
    html_url: `${views.origin}/`,
    releases_url: `${views.repoUrl}/releases{/id}`,
    deployments_url: `${views.repoUrl}/deployments`,
    created_at: repo.createdAt,
    updated_at: repo.createdAt,
    permissions: { admin: false, maintain: manager, push: true, triage: true, pull: true },
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
