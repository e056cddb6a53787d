import type { Deployment, DeploymentDetail } from '../../schemas/deployments';
import type { Release } from '../../schemas/releases';
import { call, feedNow, findEnvironment, nextEvents, resolveRepo } from '../api';
import { CliError, type Command, type Options } from '../args';

/** The exit code of each final status of a deployment (waiting and in_progress are not final). */
const FINAL = new Map([
  ['success', 0],
  ['failed', 1],
  ['rejected', 1],
  ['cancelled', 1],
]);

/** `30m`, `90s`, `1h` or a number of seconds, in milliseconds. */
function timeoutOf(text: string): number {
  const match = /^(\d+)(s|m|h)?$/.exec(text.trim());
  if (!match) throw new CliError(`--timeout takes a duration such as 90s, 30m or 1h, not "${text}"`, 2);
  return Number(match[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 's' | 'm' | 'h'];
}

/**
 * Follows the feed from `after` (taken before the deployment was asked for, so nothing is missed) until deployment
 * `id` is final or `timeoutMs` has passed: the deployment as it ended, or null at the timeout.
 */
async function waitForFinal(options: Options, repo: string, id: string, after: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let cursor = after;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return null;
    const page = await nextEvents(options, repo, cursor, left, 'deployment.status_changed');
    cursor = page.nextCursor;
    const ended = page.items
      .map((event) => event.resource as DeploymentDetail)
      .find((deployment) => deployment.id === id && FINAL.has(deployment.status));
    if (ended) return ended;
  }
}

/** deploy: a release to an environment, and with --wait, until the deployment is final. */
export const deploy: Command = {
  usage: `  deploy <repo> <version> <environment> [--status success|failed|in_progress] [--wait [--timeout 30m]]
                                                          with --wait, return once the deployment is final:
                                                          exit 0 success, 1 failed/rejected/cancelled, 2 timeout`,
  options: { status: { type: 'string' }, wait: { type: 'boolean', default: false }, timeout: { type: 'string' } },
  async run(context) {
    const { api } = context;
    context.need(3, '<repo> <version> <environment>');
    const [repoRef, version, environmentName] = context.args as [string, string, string];
    const timeout = context.string('timeout');
    const wait = context.flag('wait');
    const status = context.string('status');
    const timeoutMs = timeoutOf(timeout ?? '30m');
    if (timeout !== undefined && !wait) throw new CliError('--timeout goes with --wait', 2);
    const repo = await resolveRepo(api, repoRef);
    const release = await call<Release>(api, 'GET', `/repos/${repo}/releases/${encodeURIComponent(version)}`);
    const environment = await findEnvironment(api, repo, environmentName);
    // the resume point is taken before the deployment exists, so that no change of it can be missed
    const after = wait ? await feedNow(api, repo) : undefined;
    const deployment = await call<Deployment>(api, 'POST', `/repos/${repo}/releases/${release.id}/deployments`, {
      json: { environmentId: environment.id, ...(status ? { status } : {}) },
    });
    const line = (d: Deployment) => `deployment ${d.id}  ${release.version} → ${environment.name}  ${d.status}`;
    if (!wait || after === undefined) return { json: deployment, human: line(deployment) };
    if (!FINAL.has(deployment.status)) {
      process.stderr.write(`${line(deployment)}: waiting until it is final\n`);
    }
    const ended = FINAL.has(deployment.status)
      ? deployment
      : await waitForFinal(api, repo, deployment.id, after, timeoutMs);
    if (!ended) {
      throw new CliError(
        `deployment ${deployment.id} was not final after ${timeout ?? '30m'}; it goes on (see: gitweave-release history ${repoRef} ${environment.name})`,
        2,
      );
    }
    return { json: ended, human: line(ended), exitCode: FINAL.get(ended.status) };
  },
};

/** deployment finish: the final status of a deployment in progress. */
export const deployment: Command = {
  usage: `  deployment finish <id> <success|failed>`,
  async run(context) {
    const { args } = context;
    if (args[0] !== 'finish' || args.length !== 3)
      throw context.usageError('deployment finish takes <id> <success|failed>');
    const finished = await call<Deployment>(context.api, 'PATCH', `/deployments/${args[1]}`, {
      json: { status: args[2] },
    });
    return { json: finished, human: `deployment ${finished.id}  ${finished.status}` };
  },
};

/** approve and reject: a review of a deployment waiting for approvals. */
function review(decision: 'approve' | 'reject', usage: string): Command {
  return {
    usage,
    options: { comment: { type: 'string' } },
    async run(context) {
      context.need(1, '<deployment>');
      const comment = context.string('comment');
      const reviewed = await call<DeploymentDetail>(context.api, 'POST', `/deployments/${context.args[0]}/reviews`, {
        json: { decision, ...(comment !== undefined ? { comment } : {}) },
      });
      const approvals = reviewed.reviews.filter((r) => r.decision === 'approve').length;
      return {
        json: reviewed,
        human: `deployment ${reviewed.id}  ${reviewed.version} → ${reviewed.environment.name}  ${reviewed.status}  (${approvals}/${reviewed.requiredApprovals} approvals)`,
      };
    },
  };
}

export const approve = review(
  'approve',
  `  approve <deployment> [--comment <text>]                 approve a deployment waiting for approvals`,
);
export const reject = review(
  'reject',
  `  reject <deployment> [--comment <text>]                  reject it (it ends as rejected)`,
);
