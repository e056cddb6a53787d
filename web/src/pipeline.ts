import type { Api } from './api';
import { byId, h } from './dom';
import { ago, exactTime, STATUS_LABEL } from './format';
import type { CurrentUser, Deployment, DeploymentDetail, MemberRepo, Page, RepoEnvironment } from './types';

/**
 * Environments as a pipeline on the page: the rules of each environment, the deployments waiting for
 * approval with Approve, Reject and Cancel for those allowed, a Rollback that asks for the reason in a dialog, and
 * an environment's history a page at a time. main.ts owns the session; it hands each call the current one.
 */
export interface Pipeline {
  api: Api;
  repo: MemberRepo;
  me: CurrentUser;
  environments: RepoEnvironment[];
  /** false once the user signed out or picked another repo: answers for this one are dropped */
  live(): boolean;
  /** reload what a write changed: the environments, the releases named, and these panels */
  changed(releaseIds: string[]): Promise<void>;
}

const HISTORY_PAGE = 10;
const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Says what a write did (or why it failed) where the user is looking: the pipeline's status line. */
function say(message: string, error = false): void {
  const status = byId('pipeline-status');
  status.className = error ? 'pipeline-status error' : 'pipeline-status';
  status.textContent = message;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** "requires stg · 1 approval": what a deployment here needs, or that it needs nothing. */
export function environmentRules(environment: RepoEnvironment): HTMLElement {
  const rules = [
    environment.requires.length ? `requires ${environment.requires.join(', ')}` : null,
    environment.requiredApprovals ? `${plural(environment.requiredApprovals, 'approval')}` : null,
  ].filter((rule): rule is string => rule !== null);
  return h(
    'p',
    {
      class: 'rules',
      title: environment.requires.length
        ? `a release must have succeeded in ${environment.requires.join(' and ')} before it is deployed here`
        : undefined,
    },
    rules.length ? rules.join(' · ') : 'no rules',
  );
}

function lacksDeployScope(p: Pipeline): string | null {
  return p.me.token.scopes.includes('deploy')
    ? null
    : `Your token does not have the deploy scope, which this needs (it has ${p.me.token.scopes.join(', ')}).`;
}

/** Why the user may not roll `environment` back, or null when it may. */
function rollbackRefusal(p: Pipeline, environment: RepoEnvironment): string | null {
  if (!environment.current) return `Nothing runs in ${environment.name}, so there is nothing to roll back.`;
  if (environment.protected && p.repo.role !== 'release_manager') {
    return `${environment.name} is protected: rolling back there needs the release_manager role, and you are a developer in ${p.repo.org.slug}.`;
  }
  return lacksDeployScope(p);
}

/** An environment's History and Roll back buttons, the latter disabled with its reason where it may not. */
export function environmentActions(p: Pipeline, environment: RepoEnvironment): HTMLElement {
  const reason = rollbackRefusal(p, environment);
  const reasonId = `rollback-refusal-${environment.id}`;
  return h(
    'div',
    { class: 'actions' },
    h('button', { type: 'button', onclick: () => void openHistory(p, environment) }, 'History'),
    h(
      'button',
      {
        type: 'button',
        disabled: reason !== null,
        'aria-describedby': reason ? reasonId : undefined,
        onclick: () => void openRollback(p, environment),
      },
      'Roll back…',
    ),
    reason ? h('span', { class: 'reason', id: reasonId }, reason) : null,
  );
}

// ---- waiting deployments ------------------------------------------------------------------------------------

/** Why the user may not review `deployment`, or null when it may. */
function reviewRefusal(p: Pipeline, deployment: DeploymentDetail): string | null {
  if (p.repo.role !== 'release_manager') {
    return `Reviewing needs the release_manager role, and you are a developer in ${p.repo.org.slug}.`;
  }
  if (deployment.deployedBy.id === p.me.id) {
    return 'You asked for this deployment: another release manager must review it.';
  }
  const mine = deployment.reviews.find((review) => review.reviewer.id === p.me.id);
  if (mine) return `You ${mine.decision === 'approve' ? 'approved' : 'rejected'} it ${ago(mine.createdAt)}.`;
  return lacksDeployScope(p);
}

/** Every deployment of the repo waiting for approvals, in pipeline order, each with its reviews. */
async function loadWaiting(p: Pipeline): Promise<DeploymentDetail[]> {
  const pages = await Promise.all(
    p.environments.map((environment) =>
      p.api.get<Page<Deployment>>(
        `/repos/${p.repo.id}/environments/${environment.id}/deployments?status=waiting&limit=100`,
      ),
    ),
  );
  const waiting = pages.flatMap((page) => page.items);
  return Promise.all(waiting.map((d) => p.api.get<DeploymentDetail>(`/deployments/${d.id}`)));
}

async function review(p: Pipeline, deployment: DeploymentDetail, decision: 'approve' | 'reject', comment: string) {
  const what = `${deployment.version} → ${deployment.environment.name}`;
  try {
    const done = await p.api.post<DeploymentDetail>(`/deployments/${deployment.id}/reviews`, {
      decision,
      ...(comment ? { comment } : {}),
    });
    if (!p.live()) return;
    const approvals = done.reviews.filter((r) => r.decision === 'approve').length;
    say(
      decision === 'reject'
        ? `Rejected ${what}.`
        : done.status === 'waiting'
          ? `Approved ${what}: ${approvals} of ${done.requiredApprovals} approvals, still waiting.`
          : `Approved ${what}: now ${done.status}.`,
    );
    await p.changed([deployment.releaseId]);
  } catch (err) {
    if (p.live()) say(errorMessage(err), true);
  }
}

async function cancel(p: Pipeline, deployment: DeploymentDetail) {
  try {
    await p.api.post(`/deployments/${deployment.id}/cancel`, {});
    if (!p.live()) return;
    say(`Cancelled ${deployment.version} → ${deployment.environment.name}.`);
    await p.changed([deployment.releaseId]);
  } catch (err) {
    if (p.live()) say(errorMessage(err), true);
  }
}

function waitingItem(p: Pipeline, deployment: DeploymentDetail): HTMLElement {
  const what = `${deployment.version} → ${deployment.environment.name}`;
  const approvals = deployment.reviews.filter((r) => r.decision === 'approve').length;
  const refusal = reviewRefusal(p, deployment);
  const refusalId = `review-refusal-${deployment.id}`;
  const comment = h('input', {
    type: 'text',
    maxlength: 2000,
    'aria-label': `Comment on ${what}`,
    placeholder: 'Comment (optional)',
    disabled: refusal !== null,
  });
  const act = (button: HTMLButtonElement, work: () => Promise<void>) => {
    button.disabled = true;
    void work().finally(() => {
      button.disabled = false;
    });
  };
  const reviewButton = (decision: 'approve' | 'reject', label: string) => {
    const button: HTMLButtonElement = h(
      'button',
      {
        type: 'button',
        class: decision,
        disabled: refusal !== null,
        'aria-describedby': refusal ? refusalId : undefined,
        onclick: () => act(button, () => review(p, deployment, decision, comment.value.trim())),
      },
      label,
    );
    return button;
  };
  const mine = deployment.deployedBy.id === p.me.id;
  const cancelButton: HTMLButtonElement | null = mine
    ? h(
        'button',
        {
          type: 'button',
          disabled: lacksDeployScope(p) !== null,
          title: 'Withdraw this deployment: it ends as cancelled',
          onclick: () => act(cancelButton as HTMLButtonElement, () => cancel(p, deployment)),
        },
        'Cancel',
      )
    : null;
  return h(
    'li',
    { class: 'waiting-item', 'data-deployment': deployment.id, 'aria-label': `Waiting: ${what}` },
    h(
      'div',
      {},
      h('strong', {}, what),
      ' ',
      h('span', { class: 'status status-waiting' }, STATUS_LABEL.waiting ?? 'waiting'),
      ' ',
      h(
        'span',
        { class: 'who', title: exactTime(deployment.startedAt) },
        `asked by ${deployment.deployedBy.name} ${ago(deployment.startedAt)}`,
      ),
      ' · ',
      h('span', { class: 'approvals' }, `${approvals} of ${deployment.requiredApprovals} approvals`),
    ),
    deployment.reviews.length
      ? h(
          'ul',
          { class: 'reviews' },
          ...deployment.reviews.map((r) =>
            h(
              'li',
              {},
              `${r.reviewer.name} ${r.decision === 'approve' ? 'approved' : 'rejected'} ${ago(r.createdAt)}`,
              r.comment ? `: “${r.comment}”` : '',
            ),
          ),
        )
      : null,
    h(
      'div',
      { class: 'review-actions' },
      comment,
      reviewButton('approve', 'Approve'),
      reviewButton('reject', 'Reject'),
      cancelButton,
      refusal ? h('span', { class: 'reason', id: refusalId }, refusal) : null,
    ),
  );
}

/** Fills the waiting panel of the repo: each waiting deployment with what the user may do about it. */
export async function renderWaiting(p: Pipeline): Promise<void> {
  const list = byId('waiting');
  let waiting: DeploymentDetail[];
  try {
    waiting = await loadWaiting(p);
  } catch (err) {
    if (p.live()) list.replaceChildren(h('li', { class: 'error' }, errorMessage(err)));
    return;
  }
  if (!p.live()) return;
  list.replaceChildren(
    ...(waiting.length
      ? waiting.map((deployment) => waitingItem(p, deployment))
      : [h('li', { class: 'muted' }, 'Nothing waits for approval.')]),
  );
}

// ---- history --------------------------------------------------------------------------------------------------

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
async function openHistory(p: Pipeline, environment: RepoEnvironment): Promise<void> {
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

// ---- rollback -------------------------------------------------------------------------------------------------

let rollingBack: { p: Pipeline; environment: RepoEnvironment } | null = null;

/** Asks for the reason (and, if the user wants, the release to go back to) in a dialog, then rolls back. */
async function openRollback(p: Pipeline, environment: RepoEnvironment): Promise<void> {
  const dialog = byId<HTMLDialogElement>('rollback-dialog');
  rollingBack = { p, environment };
  byId('rollback-title').textContent = `Roll back ${environment.name}`;
  byId('rollback-what').textContent =
    `${environment.name} runs ${environment.current?.version ?? 'nothing'}. A rollback deploys the release that succeeded there before it, or the one you pick; the history keeps your reason.`;
  const to = byId<HTMLSelectElement>('rollback-to');
  to.replaceChildren(h('option', { value: '' }, 'the release that ran before'));
  byId<HTMLTextAreaElement>('rollback-reason').value = '';
  const error = byId('rollback-error');
  error.hidden = true;
  dialog.showModal();
  // the releases that succeeded here, newest first, but what runs now: the choices of `to`
  try {
    const page = await p.api.get<Page<Deployment>>(
      `/repos/${p.repo.id}/environments/${environment.id}/deployments?status=success&limit=100`,
    );
    const versions = [...new Set(page.items.map((d) => d.version))].filter((v) => v !== environment.current?.version);
    if (rollingBack?.environment === environment) {
      to.append(...versions.map((version) => h('option', { value: version }, version)));
    }
  } catch {
    // the default (the release before) still works; the list is a convenience
  }
}

async function submitRollback(event: Event): Promise<void> {
  event.preventDefault();
  if (!rollingBack) return;
  const { p, environment } = rollingBack;
  const reason = byId<HTMLTextAreaElement>('rollback-reason').value.trim();
  const to = byId<HTMLSelectElement>('rollback-to').value;
  const error = byId('rollback-error');
  const submit = byId<HTMLButtonElement>('rollback-submit');
  if (!reason) {
    error.textContent = 'Say why: the history keeps the reason of every rollback.';
    error.hidden = false;
    return;
  }
  submit.disabled = true;
  try {
    const done = await p.api.post<Deployment>(`/repos/${p.repo.id}/environments/${environment.id}/rollback`, {
      reason,
      ...(to ? { to } : {}),
    });
    rollingBack = null;
    byId<HTMLDialogElement>('rollback-dialog').close();
    if (!p.live()) return;
    say(`Rolled ${environment.name} back to ${done.version}.`);
    await p.changed([done.releaseId, ...(environment.current ? [environment.current.releaseId] : [])]);
  } catch (err) {
    error.textContent = errorMessage(err);
    error.hidden = false;
  } finally {
    submit.disabled = false;
  }
}

/** Wires the rollback dialog's form once, at start. */
export function wireRollbackDialog(): void {
  byId('rollback-form').addEventListener('submit', (event) => void submitRollback(event));
  byId('rollback-cancel').addEventListener('click', () => {
    rollingBack = null;
    byId<HTMLDialogElement>('rollback-dialog').close();
  });
}
