import { byId, h, say } from './dom';
import { errorMessage, type Pipeline } from './store';
import type { Deployment, Page, RepoEnvironment } from './types';

// A rollback asks for the reason (and, if the user wants, the release to go back to) in a dialog.

let rollingBack: { p: Pipeline; environment: RepoEnvironment } | null = null;

/** Asks for the reason (and, if the user wants, the release to go back to) in a dialog, then rolls back. */
export async function openRollback(p: Pipeline, environment: RepoEnvironment): Promise<void> {
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
