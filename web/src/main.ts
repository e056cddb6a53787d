import { type Api, ApiError, allPages, apiClient } from './api';
import { byId, h } from './dom';
import { downloadLink } from './download';
import { ago, exactTime, STATUS_LABEL, size } from './format';
import { renderMetrics } from './metricsPanel';
import { renderNotes } from './notes';
import {
  closeHistory,
  environmentActions,
  environmentRules,
  type Pipeline,
  refreshHistory,
  renderWaiting,
  wireRollbackDialog,
} from './pipeline';
import type {
  CurrentUser,
  MemberRepo,
  Page,
  Release,
  ReleaseDeployment,
  ReleaseNotes,
  ReleaseSummary,
  RepoEnvironment,
} from './types';

/** The token lives in sessionStorage only: it is gone when the tab closes, and no other tab or site sees it. */
const TOKEN_KEY = 'gitweave.token';
const REPO_KEY = 'gitweave.repo';
/** Releases per page; the details of a page's releases are fetched a few at a time, never the whole history. */
const PAGE_SIZE = 20;
const DETAIL_CONCURRENCY = 4;

let api: Api | null = null;
let me: CurrentUser | null = null;
let repos: MemberRepo[] = [];
let repo: MemberRepo | null = null;
let environments: RepoEnvironment[] = [];
let nextCursor: string | null = null;
let selected: string | null = null;
const rows = new Map<string, HTMLTableRowElement>();
const summaries = new Map<string, ReleaseSummary>();
const details = new Map<string, Release>();
/** Bumped whenever the repo changes or the user signs out: answers that arrive for an older one are dropped. */
let generation = 0;

/** The signed-in client and its chosen repo; the calls below run only once signing in has set both. */
function session(): { api: Api; repo: MemberRepo } {
  if (!api || !repo) throw new Error('not signed in');
  return { api, repo };
}

const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

function showAlert(message: string | null): void {
  const alert = byId('alert');
  alert.textContent = message ?? '';
  alert.hidden = message === null;
}

// ---- signing in and out ---------------------------------------------------------------------------------------

function signOut(detail?: string): void {
  generation += 1;
  sessionStorage.removeItem(TOKEN_KEY);
  api = null;
  me = null;
  repos = [];
  repo = null;
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
  api = client;
  me = user;
  repos = found;
  sessionStorage.setItem(TOKEN_KEY, token);
  byId('sign-in').hidden = true;
  byId('session').hidden = false;
  if (repos.length === 0) {
    showAlert('You are not a member of any org that has a repo yet.');
    return;
  }
  const remembered = repos.find((r) => r.id === sessionStorage.getItem(REPO_KEY));
  const first = remembered ?? repos[0];
  if (first) fillPickers(first);
}

function fillPickers(choice: MemberRepo): void {
  const orgSelect = byId<HTMLSelectElement>('org');
  const orgs = [...new Map(repos.map((r) => [r.org.id, r.org])).values()];
  orgSelect.replaceChildren(
    ...orgs.map((org) => h('option', { value: org.id, selected: org.id === choice.org.id }, org.slug)),
  );
  const repoSelect = byId<HTMLSelectElement>('repo');
  repoSelect.replaceChildren(
    ...repos
      .filter((r) => r.org.id === choice.org.id)
      .map((r) => h('option', { value: r.id, selected: r.id === choice.id }, r.name)),
  );
  void selectRepo(choice);
}

// ---- the dashboard of one repo --------------------------------------------------------------------------------

async function selectRepo(choice: MemberRepo): Promise<void> {
  generation += 1;
  const mine = generation;
  repo = choice;
  sessionStorage.setItem(REPO_KEY, choice.id);
  byId('role').textContent = choice.role === 'release_manager' ? 'release manager' : 'developer';
  rows.clear();
  summaries.clear();
  details.clear();
  selected = null;
  nextCursor = null;
  environments = [];
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
    const [envs, page] = await Promise.all([loadEnvironments(), loadReleases(null)]);
    if (mine !== generation) return;
    environments = envs;
    renderEnvironments();
    renderReleasesHead();
    appendReleases(page);
    const p = pipeline();
    void renderWaiting(p);
    void renderMetrics(p.api, p.repo, environments, p.live);
  } catch (err) {
    if (mine !== generation) return;
    byId('environments').replaceChildren();
    showAlert(errorMessage(err));
  }
}

function loadEnvironments(): Promise<RepoEnvironment[]> {
  const { api, repo } = session();
  return allPages<RepoEnvironment>(api, `/repos/${repo.id}/environments`);
}

function loadReleases(cursor: string | null): Promise<Page<ReleaseSummary>> {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (cursor) query.set('cursor', cursor);
  return session().api.get<Page<ReleaseSummary>>(`/repos/${session().repo.id}/releases?${query}`);
}

/** Why the user may not deploy to `environment`, or null when it may. */
function refusal(environment: RepoEnvironment): string | null {
  if (!environment.protected || repo?.role === 'release_manager') return null;
  return `${environment.name} is protected: deploying there needs the release_manager role, and you are a developer in ${repo?.org.slug}.`;
}

/** The session as the pipeline's panels (pipeline.ts) see it, bound to this repo: `live` turns false on a change. */
function pipeline(): Pipeline {
  const { api, repo } = session();
  if (!me) throw new Error('not signed in');
  const mine = generation;
  return { api, repo, me, environments, live: () => mine === generation, changed: (ids) => afterChange(ids, mine) };
}

/** After an approval, a rejection, a cancel or a rollback: reload what runs where and what it touched. */
async function afterChange(releaseIds: string[], mine: number): Promise<void> {
  const { api, repo } = session();
  const ids = [...new Set(releaseIds)].filter((id) => rows.has(id) || details.has(id));
  const [envs, ...updated] = await Promise.all([
    loadEnvironments(),
    ...ids.map((id) => api.get<Release>(`/repos/${repo.id}/releases/${id}`)),
  ]);
  if (mine !== generation) return;
  environments = envs;
  for (const release of updated) details.set(release.id, release);
  renderEnvironments();
  for (const id of rows.keys()) renderRow(id);
  const open = selected ? details.get(selected) : undefined;
  if (open && ids.includes(open.id)) renderDetails(open);
  const p = pipeline();
  await Promise.all([renderWaiting(p), refreshHistory(p), renderMetrics(p.api, p.repo, environments, p.live)]);
}

function renderEnvironments(): void {
  const container = byId('environments');
  if (environments.length === 0) {
    container.replaceChildren(h('p', { class: 'muted' }, "This repo's org has no environments."));
    return;
  }
  container.replaceChildren(
    ...environments.map((environment) => {
      const current = environment.current;
      return h(
        'section',
        { class: 'environment', 'aria-label': `Environment ${environment.name}`, 'data-environment': environment.name },
        h(
          'h3',
          {},
          environment.name,
          environment.protected
            ? h('span', { class: 'badge', title: 'deploying here needs a release manager' }, 'protected')
            : null,
        ),
        environmentRules(environment),
        current
          ? h(
              'div',
              { class: 'current' },
              h(
                'button',
                { type: 'button', class: 'version link', onclick: () => void selectRelease(current.releaseId) },
                current.version,
              ),
              h('span', { class: 'status status-success' }, STATUS_LABEL.success),
              h('span', { class: 'when', title: exactTime(current.deployedAt) }, `deployed ${ago(current.deployedAt)}`),
              h('span', { class: 'who', title: current.deployedBy.id }, `by ${current.deployedBy.name}`),
            )
          : h('p', { class: 'muted' }, 'Nothing deployed yet'),
        environmentActions(pipeline(), environment),
      );
    }),
  );
}

function renderReleasesHead(): void {
  byId('releases-head').replaceChildren(
    h('th', { scope: 'col' }, 'Version'),
    h('th', { scope: 'col' }, 'Created'),
    h('th', { scope: 'col', class: 'number' }, 'Artifacts'),
    ...environments.map((environment) => h('th', { scope: 'col' }, environment.name)),
  );
}

function appendReleases(page: Page<ReleaseSummary>): void {
  const body = byId('releases-body');
  for (const release of page.items) {
    const row = h('tr', { 'data-release': release.id, 'data-version': release.version });
    rows.set(release.id, row);
    summaries.set(release.id, release);
    renderRow(release.id);
    body.append(row);
  }
  nextCursor = page.nextCursor;
  byId('more').hidden = nextCursor === null;
  byId('releases-empty').hidden = rows.size > 0;
  queueDetails(page.items.map((release) => release.id));
}

function deploymentCell(release: Release | undefined, environment: RepoEnvironment): HTMLTableCellElement {
  if (!release) return h('td', { class: 'muted' }, '…');
  const running = environment.current?.releaseId === release.id;
  const newest = release.deployments.find((d) => d.environment.id === environment.id);
  if (!newest) return h('td', { class: 'muted' }, '—');
  return h(
    'td',
    {
      class: `status-${newest.status}${running ? ' running' : ''}`,
      title: `${newest.status}, started ${exactTime(newest.startedAt)}`,
    },
    STATUS_LABEL[newest.status] ?? newest.status,
    h('span', { class: 'when' }, ` ${ago(newest.startedAt)}`),
    running ? h('span', { class: 'badge' }, 'running') : null,
  );
}

function renderRow(id: string): void {
  const row = rows.get(id);
  const summary = summaries.get(id);
  if (!row || !summary) return;
  const release = details.get(id);
  row.classList.toggle('selected', selected === id);
  row.replaceChildren(
    h(
      'th',
      { scope: 'row' },
      h(
        'button',
        { type: 'button', class: 'version link', onclick: () => void selectRelease(summary.id) },
        summary.version,
      ),
    ),
    h('td', { title: exactTime(summary.createdAt) }, ago(summary.createdAt)),
    h('td', { class: 'number' }, summary.artifactCount),
    ...environments.map((environment) => deploymentCell(release, environment)),
  );
}

/** Fetches the details of `ids` (for their deployments per environment), a few at a time. */
function queueDetails(ids: string[]): void {
  const mine = generation;
  const queue = [...ids];
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined && mine === generation; id = queue.shift()) {
      try {
        await fetchDetails(id);
      } catch (err) {
        if (mine !== generation) return;
        const row = rows.get(id);
        row?.querySelectorAll('td.muted').forEach((cell) => {
          cell.textContent = '!';
          cell.setAttribute('title', errorMessage(err));
        });
      }
    }
  };
  for (let i = 0; i < DETAIL_CONCURRENCY; i += 1) void worker();
}

async function fetchDetails(id: string): Promise<Release> {
  const mine = generation;
  const release = await session().api.get<Release>(`/repos/${session().repo.id}/releases/${id}`);
  if (mine === generation) {
    details.set(id, release);
    renderRow(id);
  }
  return release;
}

async function selectRelease(id: string): Promise<void> {
  const mine = generation;
  const previous = selected;
  selected = id;
  for (const other of [previous, id]) if (other) rows.get(other)?.classList.toggle('selected', other === id);
  const panel = byId('details');
  const cached = details.get(id);
  if (cached) return renderDetails(cached);
  panel.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
  try {
    const release = await fetchDetails(id);
    if (mine === generation && selected === id) renderDetails(release);
  } catch (err) {
    if (mine === generation && selected === id)
      panel.replaceChildren(h('p', { class: 'error', role: 'alert' }, errorMessage(err)));
  }
}

/** The commit a release names and the range of history its generated notes cover. */
function commitLines(release: Release): HTMLElement[] {
  if (release.commit === null) return [];
  const range = release.notesRange;
  const lines = [h('p', { class: 'muted', 'data-commit': '' }, 'commit ', h('code', { class: 'sha' }, release.commit))];
  if (range) {
    const from = range.from === null ? 'the first commit' : range.from.slice(0, 12);
    const since = range.previousVersion
      ? ` (since ${range.previousVersion}${range.fromMergeBase ? ', from the merge base' : ''})`
      : '';
    lines.push(
      h(
        'p',
        { class: 'muted', 'data-range': '' },
        `covers ${from} … ${range.to.slice(0, 12)}${since}${range.truncated ? ', truncated' : ''}`,
      ),
    );
  }
  return lines;
}

/** The commits of a release's range, grouped as its notes group them (read from the history when shown). */
function commitsOf(release: Release): HTMLElement {
  const box = h('div', { 'data-commits': '' }, h('p', { class: 'muted' }, 'Reading the history…'));
  const range = release.notesRange;
  if (!range) return box;
  const body = range.previousVersion
    ? { commit: range.to, previousVersion: range.previousVersion }
    : { commit: range.to, version: release.version };
  session()
    .api.post<ReleaseNotes>(`/repos/${session().repo.id}/releases/notes`, body)
    .then((drafted) => {
      const groups = new Map<string, ReleaseNotes['commits']>();
      for (const commit of drafted.commits) groups.set(commit.group, [...(groups.get(commit.group) ?? []), commit]);
      box.replaceChildren(
        ...[...groups].map(([group, commits]) =>
          h(
            'div',
            { 'data-group': group },
            h('h4', {}, group === 'breaking' ? 'Breaking changes' : group === 'other' ? 'Other changes' : group),
            h(
              'ul',
              {},
              ...commits.map((commit) =>
                h(
                  'li',
                  {},
                  commit.scope ? h('strong', {}, `${commit.scope}: `) : '',
                  commit.subject,
                  ' ',
                  h('code', { class: 'sha' }, commit.sha.slice(0, 7)),
                  h('span', { class: 'muted' }, ` ${commit.author.name}`),
                ),
              ),
            ),
          ),
        ),
      );
    })
    .catch((err: unknown) => {
      box.replaceChildren(
        h(
          'p',
          { class: 'muted' },
          `The history could not be read: ${err instanceof Error ? err.message : String(err)}`,
        ),
      );
    });
  return box;
}

function renderDetails(release: Release): void {
  const notes = h('div', { class: 'notes', 'data-notes': '' });
  if (release.notes.trim()) notes.append(renderNotes(release.notes));
  else notes.append(h('p', { class: 'muted' }, 'No release notes.'));
  byId('details').replaceChildren(
    h('h2', {}, `Release ${release.version}`),
    h(
      'p',
      { class: 'muted', title: exactTime(release.createdAt) },
      `created ${ago(release.createdAt)} by ${release.createdBy.name}`,
    ),
    ...commitLines(release),
    deployBox(release),
    h('h3', {}, 'Notes'),
    notes,
    ...(release.notesRange ? [h('h3', {}, 'Commits'), commitsOf(release)] : []),
    h('h3', {}, 'Artifacts'),
    release.artifacts.length === 0
      ? h('p', { class: 'muted' }, 'No artifacts.')
      : h(
          'table',
          { class: 'artifacts' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, 'Name'),
              h('th', { scope: 'col', class: 'number' }, 'Size'),
              h('th', { scope: 'col' }, 'SHA-256'),
            ),
          ),
          h(
            'tbody',
            {},
            ...release.artifacts.map((artifact) =>
              h(
                'tr',
                {},
                h('td', {}, downloadLink(session().repo.id, artifact, TOKEN_KEY)),
                h(
                  'td',
                  { class: 'number', title: `${artifact.sizeBytes.toLocaleString('en')} bytes` },
                  size(artifact.sizeBytes),
                ),
                h('td', {}, h('code', { class: 'sha' }, artifact.sha256)),
              ),
            ),
          ),
        ),
    h('h3', {}, 'Deployments'),
    deploymentList(release),
  );
}

function deploymentList(release: Release): HTMLElement {
  if (release.deployments.length === 0) return h('p', { class: 'muted' }, 'Not deployed anywhere yet.');
  const item = (d: ReleaseDeployment) =>
    h(
      'li',
      { 'data-deployment': d.id },
      h('strong', {}, d.environment.name),
      ' ',
      h('span', { class: `status status-${d.status}` }, STATUS_LABEL[d.status] ?? d.status),
      ' ',
      h('span', { class: 'when', title: exactTime(d.startedAt) }, ago(d.startedAt)),
      ' ',
      h('span', { class: 'who', title: d.deployedBy.id }, `by ${d.deployedBy.name}`),
    );
  return h(
    'div',
    {},
    h('ul', { class: 'deployments' }, ...release.deployments.map(item)),
    release.deploymentCount > release.deployments.length
      ? h(
          'p',
          { class: 'muted' },
          `The newest ${release.deployments.length} of ${release.deploymentCount} deployments.`,
        )
      : null,
  );
}

function deployBox(release: Release): HTMLElement {
  const result = h('p', { class: 'deploy-result', role: 'status' });
  const buttons = environments.map((environment) => {
    const reason = refusal(environment);
    const reasonId = `refusal-${environment.id}`;
    const button = h(
      'button',
      {
        type: 'button',
        disabled: reason !== null,
        'aria-describedby': reason ? reasonId : undefined,
        onclick: () => void deploy(release, environment, button, result),
      },
      `Deploy to ${environment.name}`,
    );
    return h(
      'div',
      { class: 'deploy-target' },
      button,
      reason ? h('span', { class: 'reason', id: reasonId }, reason) : null,
    );
  });
  return h(
    'section',
    { class: 'deploy', 'aria-label': 'Deploy' },
    h('h3', {}, `Deploy ${release.version}`),
    ...buttons,
    result,
  );
}

async function deploy(
  release: Release,
  environment: RepoEnvironment,
  button: HTMLButtonElement,
  result: HTMLElement,
): Promise<void> {
  const mine = generation;
  button.disabled = true;
  result.className = 'deploy-result';
  result.textContent = `Deploying ${release.version} to ${environment.name}…`;
  try {
    const made = await session().api.post<{ status: string; requiredApprovals: number }>(
      `/repos/${session().repo.id}/releases/${release.id}/deployments`,
      { environmentId: environment.id },
    );
    if (mine !== generation) return;
    const [envs, updated] = await Promise.all([
      loadEnvironments(),
      session().api.get<Release>(`/repos/${session().repo.id}/releases/${release.id}`),
    ]);
    if (mine !== generation) return;
    environments = envs;
    details.set(updated.id, updated);
    renderEnvironments();
    for (const id of rows.keys()) renderRow(id);
    if (selected === updated.id) renderDetails(updated);
    const message = byId('details').querySelector('.deploy-result');
    if (message) {
      message.textContent =
        made.status === 'waiting'
          ? `Asked to deploy ${updated.version} to ${environment.name}: it waits for ${made.requiredApprovals} approval${made.requiredApprovals === 1 ? '' : 's'}.`
          : `Deployed ${updated.version} to ${environment.name}.`;
    }
    const p = pipeline();
    void Promise.all([renderWaiting(p), refreshHistory(p), renderMetrics(p.api, p.repo, environments, p.live)]);
  } catch (err) {
    if (mine !== generation) return;
    button.disabled = false;
    result.className = 'deploy-result error';
    result.textContent = errorMessage(err);
  }
}

async function loadMore(): Promise<void> {
  const mine = generation;
  const button = byId<HTMLButtonElement>('more');
  if (!nextCursor) return;
  button.disabled = true;
  try {
    const page = await loadReleases(nextCursor);
    if (mine === generation) appendReleases(page);
  } catch (err) {
    if (mine === generation) showAlert(errorMessage(err));
  } finally {
    button.disabled = false;
  }
}

// ---- wiring ---------------------------------------------------------------------------------------------------

function start(): void {
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
    const first = repos.find((r) => r.org.id === orgId);
    if (first) fillPickers(first);
  });
  byId<HTMLSelectElement>('repo').addEventListener('change', (event) => {
    const choice = repos.find((r) => r.id === (event.target as HTMLSelectElement).value);
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
