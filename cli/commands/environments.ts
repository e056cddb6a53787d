import type { Deployment } from '../../schemas/deployments';
import { call, repoEnvironments, resolveRepo } from '../api';
import { CliError, type Command, table } from '../args';

/** rollback: an environment back to the release that ran there before (or --to a version). */
export const rollback: Command = {
  usage: `  rollback <repo> <environment> --reason <text> [--to <version>]
                                                          go back to the release that ran there before`,
  options: { reason: { type: 'string' }, to: { type: 'string' } },
  async run(context) {
    context.need(2, '<repo> <environment> --reason <text>');
    const reason = context.string('reason');
    const to = context.string('to');
    if (!reason) throw new CliError('rollback needs --reason <text>: the history keeps why', 2);
    const [repoRef, environment] = context.args as [string, string];
    const repo = await resolveRepo(context.api, repoRef);
    const done = await call<Deployment>(
      context.api,
      'POST',
      `/repos/${repo}/environments/${encodeURIComponent(environment)}/rollback`,
      { json: { reason, ...(to !== undefined ? { to } : {}) } },
    );
    return {
      json: done,
      human: `rollback ${done.id}  ${done.environment.name} → ${done.version}  (replaces deployment ${done.rollbackOf})`,
    };
  },
};

/** history: an environment's deployments, newest first. */
export const history: Command = {
  usage: `  history <repo> <environment> [--status <s>] [--kind deploy|rollback]
                                                          an environment's deployments, newest first`,
  options: { status: { type: 'string' }, kind: { type: 'string' } },
  async run(context) {
    context.need(2, '<repo> <environment>');
    const [repoRef, environment] = context.args as [string, string];
    const repo = await resolveRepo(context.api, repoRef);
    const query = new URLSearchParams({ limit: '20' });
    for (const key of ['status', 'kind']) {
      const value = context.string(key);
      if (value) query.set(key, value);
    }
    const page = await call<{ items: Deployment[] }>(
      context.api,
      'GET',
      `/repos/${repo}/environments/${encodeURIComponent(environment)}/deployments?${query}`,
    );
    const rows = [
      ['STARTED', 'VERSION', 'STATUS', 'KIND', 'BY', 'ID'],
      ...page.items.map((d) => [d.startedAt, d.version, d.status, d.kind, d.deployedBy.name, d.id]),
    ];
    return { json: page, human: page.items.length ? table(rows) : `no deployments in ${environment} yet` };
  },
};

/** status: what runs where. */
export const status: Command = {
  usage: `  status <repo>                                           what runs where`,
  async run(context) {
    context.need(1, '<repo>');
    const repo = await resolveRepo(context.api, context.args[0] ?? '');
    const { view, environments } = await repoEnvironments(context.api, repo);
    const rows = [
      ['ENVIRONMENT', 'VERSION', 'DEPLOYED', 'BY'],
      ...environments.map((e) => [
        `${e.name}${e.protected ? ' (protected)' : ''}`,
        e.current?.version ?? '-',
        e.current?.deployedAt ?? '-',
        e.current?.deployedBy.name ?? '-',
      ]),
    ];
    return { json: view, human: table(rows) };
  },
};
