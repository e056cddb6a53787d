import { byId, h, say } from './dom';
import { ago, exactTime, STATUS_LABEL } from './format';
import { errorMessage, type Pipeline } from './store';
import type { Deployment, Page, RepoEnvironment } from './types';

// An environment's deployments, newest first, a page at a time.

const HISTORY_PAGE = 10;

let historyOf: { environment: RepoEnvironment; cursor: string | null } | null = null;

function historyRow(d: Deployment): HTMLTableRowElement {
  return h(
    'tr',
    { 'data-deployment': d.id },
    h('td', { title: exactTime(d.startedAt) }, ago(d.startedAt)),
    h('th', { scope: 'row' }, d.version),
    h('td', { class: `status-${d.status}` }, STATUS_LABEL[d.status] ?? d.status),
    h('td', {}, d.kind === 'rollback' ? 'rollback' : 'deploy'),
    h('td', { title: d.deployedBy.id }, d.deployedBy.name),
    h('td', { class: 'reason-cell' }, d.reason ?? ''),
  );
}

async function historyPage(p: Pipeline, environment: RepoEnvironment, cursor: string | null) {
  const query = new URLSearchParams({ limit: String(HISTORY_PAGE) });
  if (cursor) query.set('cursor', cursor);
  return p.api.get<Page<Deployment>>(`/repos/${p.repo.id}/environments/${environment.id}/deployments?${query}`);
}

/** Opens (or reloads) the history panel of `environment` at its newest page. */
export async function openHistory(p: Pipeline, environment: RepoEnvironment): Promise<void> {
  const panel = byId('history');
  panel.hidden = false;
  historyOf = { environment, cursor: null };
  const body = h('tbody', {});
  const more = h('button', { type: 'button', hidden: true }, 'Older deployments');
  const empty = h('p', { class: 'muted', hidden: true }, `Nothing was deployed to ${environment.name} yet.`);
  panel.replaceChildren(
    h(
      'div',
      { class: 'panel-head' },
      h('h2', { id: 'history-title' }, `History of ${environment.name}`),
      h(
        'button',
        {
          type: 'button',
          class: 'link',
          onclick: () => {
            panel.hidden = true;
            historyOf = null;
          },
        },
        'Close',
      ),
    ),
    h(
      'table',
      { 'aria-labelledby': 'history-title' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Started', 'Version', 'Status', 'Kind', 'By', 'Reason'].map((label) => h('th', { scope: 'col' }, label)),
        ),
      ),
      body,
    ),
    empty,
    more,
  );
  const load = async () => {
    const mine = historyOf;
    more.disabled = true;
    try {
      const page = await historyPage(p, environment, mine?.cursor ?? null);
      if (!p.live() || historyOf !== mine || !mine) return;
      body.append(...page.items.map(historyRow));
      mine.cursor = page.nextCursor;
      more.hidden = page.nextCursor === null;
      empty.hidden = body.childElementCount > 0;
    } catch (err) {
      if (p.live()) say(errorMessage(err), true);
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener('click', () => void load());
  await load();
}

/** After a write: the open history shows its newest page again. */
export async function refreshHistory(p: Pipeline): Promise<void> {
  const open = historyOf && p.environments.find((e) => e.id === historyOf?.environment.id);
  if (open) await openHistory(p, open);
}

export function closeHistory(): void {
  historyOf = null;
  byId('history').hidden = true;
}
