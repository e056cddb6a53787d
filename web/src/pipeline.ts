import { h } from './dom';
import { openHistory } from './history';
import { openRollback } from './rollback';
import type { Pipeline } from './store';
import type { RepoEnvironment } from './types';

// Environments as a pipeline on the page: the rules of each environment and its History and Roll back buttons; the
// deployments waiting for approval (waiting.ts), an environment's history a page at a time (history.ts) and the
// rollback dialog (rollback.ts) are the panels these open.

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

export function lacksDeployScope(p: Pipeline): string | null {
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
