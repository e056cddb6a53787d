import { ApiError, allPages, apiClient, environmentsOf, releaseOf, releasesPage } from './api';
import { renderDetails, selectRelease } from './detailsView';
import { byId, h, showAlert } from './dom';
import { renderEnvironments } from './environmentsView';
import { closeHistory, refreshHistory } from './history';
import { renderMetrics } from './metricsPanel';
import { appendReleases, clearRows, loadMore, renderReleasesHead, renderRows, shownReleases } from './releasesView';
import { wireRollbackDialog } from './rollback';
import { errorMessage, hooks, pipeline, REPO_KEY, session, state, TOKEN_KEY } from './store';
import type { CurrentUser, MemberRepo } from './types';
import { renderWaiting } from './waiting';

// The dashboard: signing in and out, the choice of repo, and what a change reloads. The state is in store.ts, the
// network in api.ts, and each part of the page is drawn by its view (environmentsView, releasesView, detailsView and
// the pipeline's panels: pipeline, waiting, history, rollback, metricsPanel).

// ---- signing in and out ---------------------------------------------------------------------------------------

function signOut(detail?: string): void {
  state.generation += 1;
  sessionStorage.removeItem(TOKEN_KEY);
  state.api = null;
  state.me = null;
  state.repos = [];
  state.repo = null;
  byId('session').hidden = true;
  byId('dashboard').hidden = true;
  byId('sign-in').hidden = false;
  showAlert(null);
  const error = byId('sign-in-error');
  error.textContent = detail ?? '';
  error.hidden = !detail;
  byId<HTMLInputElement>('token').value = '';
}

async function signIn(token: string): Promise<void> {
  const client = apiClient(token, (detail) => signOut(detail));
  // the list of the user's repos is also the check that the token is good
  const [found, user] = await Promise.all([allPages<MemberRepo>(client, '/repos'), client.get<CurrentUser>('/user')]);
  state.api = client;
  state.me = user;
  state.repos = found;
  sessionStorage.setItem(TOKEN_KEY, token);
  byId('sign-in').hidden = true;
  byId('session').hidden = false;
  if (found.length === 0) {
    showAlert('You are not a member of any org that has a repo yet.');
    return;
  }
  const remembered = found.find((r) => r.id === sessionStorage.getItem(REPO_KEY));
  const first = remembered ?? found[0];
  if (first) fillPickers(first);
}

function fillPickers(choice: MemberRepo): void {
  const orgSelect = byId<HTMLSelectElement>('org');
  const orgs = [...new Map(state.repos.map((r) => [r.org.id, r.org])).values()];
  orgSelect.replaceChildren(
    ...orgs.map((org) => h('option', { value: org.id, selected: org.id === choice.org.id }, org.slug)),
  );
  const repoSelect = byId<HTMLSelectElement>('repo');
  repoSelect.replaceChildren(
    ...state.repos
      .filter((r) => r.org.id === choice.org.id)
      .map((r) => h('option', { value: r.id, selected: r.id === choice.id }, r.name)),
  );
  void selectRepo(choice);
}

// ---- the dashboard of one repo --------------------------------------------------------------------------------

async function selectRepo(choice: MemberRepo): Promise<void> {
  state.generation += 1;
  const mine = state.generation;
  state.repo = choice;
  sessionStorage.setItem(REPO_KEY, choice.id);
  byId('role').textContent = choice.role === 'release_manager' ? 'release manager' : 'developer';
  clearRows();
  state.summaries.clear();
  state.details.clear();
  state.selected = null;
  state.nextCursor = null;
  state.environments = [];
  showAlert(null);
  byId('dashboard').hidden = false;
  byId('environments').replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
  byId('releases-head').replaceChildren();
  byId('releases-body').replaceChildren();
  byId('releases-empty').hidden = true;
  byId('more').hidden = true;
  byId('waiting').replaceChildren(h('li', { class: 'muted' }, 'Loading…'));
  byId('pipeline-status').textContent = '';
  byId('metrics').hidden = true;
  closeHistory();
  byId('details').replaceChildren(
    h('p', { class: 'muted' }, 'Pick a release to see its notes, artifacts and deployments.'),
  );
  try {
    const { api, repo } = session();
    const [envs, page] = await Promise.all([environmentsOf(api, repo.id), releasesPage(api, repo.id, null)]);
    if (mine !== state.generation) return;
    state.environments = envs;
    renderEnvironments();
    renderReleasesHead();
    appendReleases(page);
    const p = pipeline();
    void renderWaiting(p);
    void renderMetrics(p.api, p.repo, state.environments, p.live);
  } catch (err) {
    if (mine !== state.generation) return;
    byId('environments').replaceChildren();
    showAlert(errorMessage(err));
  }
}

/** After an approval, a rejection, a cancel or a rollback: reload what runs where and what it touched. */
async function afterChange(releaseIds: string[], mine: number): Promise<void> {
  const { api, repo } = session();
  const shown = new Set(shownReleases());
  const ids = [...new Set(releaseIds)].filter((id) => shown.has(id) || state.details.has(id));
  const [envs, ...updated] = await Promise.all([
    environmentsOf(api, repo.id),
    ...ids.map((id) => releaseOf(api, repo.id, id)),
  ]);
  if (mine !== state.generation) return;
  state.environments = envs;
  for (const release of updated) state.details.set(release.id, release);
  renderEnvironments();
  renderRows();
  const open = state.selected ? state.details.get(state.selected) : undefined;
  if (open && ids.includes(open.id)) renderDetails(open);
  const p = pipeline();
  await Promise.all([renderWaiting(p), refreshHistory(p), renderMetrics(p.api, p.repo, state.environments, p.live)]);
}

// ---- wiring ---------------------------------------------------------------------------------------------------

function start(): void {
  hooks.selectRelease = selectRelease;
  hooks.afterChange = afterChange;
  byId('sign-in-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = byId<HTMLInputElement>('token').value.trim();
    const error = byId('sign-in-error');
    const submit = byId<HTMLFormElement>('sign-in-form').querySelector('button');
    if (!/^[\x21-\x7e]+$/.test(token)) {
      error.textContent = 'An API token is printable ASCII without spaces (gwr_…).';
      error.hidden = false;
      return;
    }
    if (submit) submit.disabled = true;
    error.hidden = true;
    signIn(token)
      .catch((err: unknown) => {
        error.textContent = errorMessage(err);
        error.hidden = false;
      })
      .finally(() => {
        if (submit) submit.disabled = false;
      });
  });
  byId('sign-out').addEventListener('click', () => {
    sessionStorage.removeItem(REPO_KEY);
    signOut();
  });
  byId<HTMLSelectElement>('org').addEventListener('change', (event) => {
    const orgId = (event.target as HTMLSelectElement).value;
    const first = state.repos.find((r) => r.org.id === orgId);
    if (first) fillPickers(first);
  });
  byId<HTMLSelectElement>('repo').addEventListener('change', (event) => {
    const choice = state.repos.find((r) => r.id === (event.target as HTMLSelectElement).value);
    if (choice) void selectRepo(choice);
  });
  byId('more').addEventListener('click', () => void loadMore());
  wireRollbackDialog();
  // whatever goes wrong is said on the page, never a blank one
  window.addEventListener('unhandledrejection', (event) => showAlert(errorMessage(event.reason)));
  window.addEventListener('error', (event) => showAlert(event.message));

  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) {
    signOut();
    return;
  }
  signIn(token).catch((err: unknown) => {
    if (err instanceof ApiError && err.status === 401) return; // signed out already, with the API's detail
    // the API is down, say: keep the token, and let the user try again
    byId('sign-in').hidden = false;
    byId<HTMLInputElement>('token').value = token;
    const error = byId('sign-in-error');
    error.textContent = errorMessage(err);
    error.hidden = false;
  });
}

start();
