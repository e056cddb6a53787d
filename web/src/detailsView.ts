import { deployRelease, environmentsOf, releaseOf } from './api';
import { commitLines, commitsOf } from './commitsView';
import { byId, h } from './dom';
import { downloadLink } from './download';
import { renderEnvironments } from './environmentsView';
import { ago, exactTime, STATUS_LABEL, size } from './format';
import { refreshHistory } from './history';
import { renderMetrics } from './metricsPanel';
import { renderNotes } from './notes';
import { fetchDetails, markSelected, renderRows } from './releasesView';
import { errorMessage, pipeline, session, state, TOKEN_KEY } from './store';
import type { Release, ReleaseDeployment, RepoEnvironment } from './types';
import { renderWaiting } from './waiting';

// A release's panel: its notes, artifacts and deployments, and a button per environment to deploy it.

/** Why the user may not deploy to `environment`, or null when it may. */
function refusal(environment: RepoEnvironment): string | null {
  const { repo } = state;
  if (!environment.protected || repo?.role === 'release_manager') return null;
  return `${environment.name} is protected: deploying there needs the release_manager role, and you are a developer in ${repo?.org.slug}.`;
}

export async function selectRelease(id: string): Promise<void> {
  const mine = state.generation;
  const previous = state.selected;
  state.selected = id;
  markSelected(previous, id);
  const panel = byId('details');
  const cached = state.details.get(id);
  if (cached) return renderDetails(cached);
  panel.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
  try {
    const release = await fetchDetails(id);
    if (mine === state.generation && state.selected === id) renderDetails(release);
  } catch (err) {
    if (mine === state.generation && state.selected === id)
      panel.replaceChildren(h('p', { class: 'error', role: 'alert' }, errorMessage(err)));
  }
}

export function renderDetails(release: Release): void {
  const notes = h('div', { class: 'notes', 'data-notes': '' });
  if (release.notes.trim()) notes.append(renderNotes(release.notes));
  else notes.append(h('p', { class: 'muted' }, 'No release notes.'));
  byId('details').replaceChildren(
    h(
      'h2',
      {},
      `Release ${release.version}`,
      release.title !== release.version ? h('span', { class: 'title' }, ` ${release.title}`) : null,
    ),
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
  const buttons = state.environments.map((environment) => {
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
  const mine = state.generation;
  button.disabled = true;
  result.className = 'deploy-result';
  result.textContent = `Deploying ${release.version} to ${environment.name}…`;
  try {
    const made = await deployRelease(session().api, session().repo.id, release.id, environment.id);
    if (mine !== state.generation) return;
    const [envs, updated] = await Promise.all([
      environmentsOf(session().api, session().repo.id),
      releaseOf(session().api, session().repo.id, release.id),
    ]);
    if (mine !== state.generation) return;
    state.environments = envs;
    state.details.set(updated.id, updated);
    renderEnvironments();
    renderRows();
    if (state.selected === updated.id) renderDetails(updated);
    const message = byId('details').querySelector('.deploy-result');
    if (message) {
      message.textContent =
        made.status === 'waiting'
          ? `Asked to deploy ${updated.version} to ${environment.name}: it waits for ${made.requiredApprovals} approval${made.requiredApprovals === 1 ? '' : 's'}.`
          : `Deployed ${updated.version} to ${environment.name}.`;
    }
    const p = pipeline();
    void Promise.all([renderWaiting(p), refreshHistory(p), renderMetrics(p.api, p.repo, state.environments, p.live)]);
  } catch (err) {
    if (mine !== state.generation) return;
    button.disabled = false;
    result.className = 'deploy-result error';
    result.textContent = errorMessage(err);
  }
}
