import { releaseOf, releasesPage } from './api';
import { byId, h, showAlert } from './dom';
import { ago, exactTime, STATUS_LABEL } from './format';
import { errorMessage, hooks, session, state } from './store';
import type { Page, Release, ReleaseSummary, RepoEnvironment } from './types';

// The releases table: a row per release, a column per environment with the newest deployment there.

/** The details of a page's releases are fetched a few at a time, never the whole history. */
const DETAIL_CONCURRENCY = 4;
/** The table's rows by release id. */
const rows = new Map<string, HTMLTableRowElement>();

/** The ids of the releases the table shows. */
export const shownReleases = () => [...rows.keys()];

/** Every row drawn again from the state (after the environments or a release changed). */
export function renderRows(): void {
  for (const id of rows.keys()) renderRow(id);
}

/** Empties the table (another repo). */
export function clearRows(): void {
  rows.clear();
}

/** Moves the selection's mark from `previous` to `id`. */
export function markSelected(previous: string | null, id: string): void {
  for (const other of [previous, id]) if (other) rows.get(other)?.classList.toggle('selected', other === id);
}

export function renderReleasesHead(): void {
  byId('releases-head').replaceChildren(
    h('th', { scope: 'col' }, 'Version'),
    h('th', { scope: 'col' }, 'Created'),
    h('th', { scope: 'col', class: 'number' }, 'Artifacts'),
    ...state.environments.map((environment) => h('th', { scope: 'col' }, environment.name)),
  );
}

export function appendReleases(page: Page<ReleaseSummary>): void {
  const body = byId('releases-body');
  for (const release of page.items) {
    const row = h('tr', { 'data-release': release.id, 'data-version': release.version });
    rows.set(release.id, row);
    state.summaries.set(release.id, release);
    renderRow(release.id);
    body.append(row);
  }
  state.nextCursor = page.nextCursor;
  byId('more').hidden = state.nextCursor === null;
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
  const summary = state.summaries.get(id);
  if (!row || !summary) return;
  const release = state.details.get(id);
  row.classList.toggle('selected', state.selected === id);
  row.replaceChildren(
    h(
      'th',
      { scope: 'row' },
      h(
        'button',
        { type: 'button', class: 'version link', onclick: () => void hooks.selectRelease(summary.id) },
        summary.version,
      ),
      ...(summary.draft ? [' ', h('span', { class: 'muted' }, 'draft')] : []),
    ),
    h('td', { title: exactTime(summary.createdAt) }, ago(summary.createdAt)),
    h('td', { class: 'number' }, summary.artifactCount),
    ...state.environments.map((environment) => deploymentCell(release, environment)),
  );
}

/** Fetches the details of `ids` (for their deployments per environment), a few at a time. */
function queueDetails(ids: string[]): void {
  const mine = state.generation;
  const queue = [...ids];
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined && mine === state.generation; id = queue.shift()) {
      try {
        await fetchDetails(id);
      } catch (err) {
        if (mine !== state.generation) return;
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

export async function fetchDetails(id: string): Promise<Release> {
  const mine = state.generation;
  const { api, repo } = session();
  const release = await releaseOf(api, repo.id, id);
  if (mine === state.generation) {
    state.details.set(id, release);
    renderRow(id);
  }
  return release;
}

export async function loadMore(): Promise<void> {
  const mine = state.generation;
  const button = byId<HTMLButtonElement>('more');
  if (!state.nextCursor) return;
  button.disabled = true;
  try {
    const page = await releasesPage(session().api, session().repo.id, state.nextCursor);
    if (mine === state.generation) appendReleases(page);
  } catch (err) {
    if (mine === state.generation) showAlert(errorMessage(err));
  } finally {
    button.disabled = false;
  }
}
