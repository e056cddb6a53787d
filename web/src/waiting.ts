import { byId, h, say } from './dom';
import { ago, exactTime, STATUS_LABEL } from './format';
import { lacksDeployScope } from './pipeline';
import { errorMessage, type Pipeline } from './store';
import type { Deployment, DeploymentDetail, Page } from './types';

// The deployments of the repo waiting for approval, with Approve, Reject and Cancel for those allowed.

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
