import { byId, h } from './dom';
import { ago, exactTime, STATUS_LABEL } from './format';
import { environmentActions, environmentRules } from './pipeline';
import { hooks, pipeline, state } from './store';

/** What runs where: a card per environment, with its rules, what runs there and its actions. */
export function renderEnvironments(): void {
  const container = byId('environments');
  if (state.environments.length === 0) {
    container.replaceChildren(h('p', { class: 'muted' }, "This repo's org has no environments."));
    return;
  }
  container.replaceChildren(
    ...state.environments.map((environment) => {
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
                { type: 'button', class: 'version link', onclick: () => void hooks.selectRelease(current.releaseId) },
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
