import type { DeliveryMetrics } from '../../schemas/metrics';
import { duration } from '../../web/src/format';
import { call, resolveRepo } from '../api';
import { CliError, type Command, table } from '../args';

/** A duration in seconds as the dashboard shows it, or - when there is none. */
const humanDuration = (seconds: number | null) => (seconds === null ? '-' : duration(seconds));

/** The metrics as a person reads them: the window, a row per bucket, then the four DORA figures. */
function metricsReport(m: DeliveryMetrics): string {
  const days = (Date.parse(m.to) - Date.parse(m.from)) / 86_400_000;
  const successes = m.buckets.reduce((sum, b) => sum + b.successes, 0);
  const spread = (d: DeliveryMetrics['leadTime'], what: string) =>
    d.count === 0
      ? `- (none in the window)`
      : `median ${humanDuration(d.medianSeconds)}, p90 ${humanDuration(d.p90Seconds)} (${d.count} ${what}${d.count === 1 ? '' : 's'})`;
  const rows = [
    [m.bucket === 'week' ? 'WEEK OF' : 'DAY', 'DEPLOYMENTS', 'SUCCESSES', 'FAILURES', 'ROLLBACKS'],
    ...m.buckets.map((b) => [
      b.start.slice(0, 10),
      String(b.deployments),
      String(b.successes),
      String(b.failures),
      String(b.rollbacks),
    ]),
  ];
  return [
    `${m.environment.name}: ${m.from} to ${m.to}, by ${m.bucket}`,
    '',
    table(rows),
    '',
    table([
      [
        'deployment frequency',
        `${m.deploymentFrequency.toFixed(2)} per day (${successes} successful in ${Number(days.toFixed(1))} days)`,
      ],
      [
        'change failure rate',
        m.changeFailureRate === null ? '- (no finished deployments)' : `${(m.changeFailureRate * 100).toFixed(1)}%`,
      ],
      ['time to restore', spread(m.timeToRestore, 'restore')],
      ['lead time', spread(m.leadTime, 'release')],
    ]),
  ].join('\n');
}

/** metrics: deployments per day or week and the DORA figures of one environment. */
export const metrics: Command = {
  usage: `  metrics <repo> --environment <env> [--from <ISO time>] [--to <ISO time>] [--bucket day|week]
                                                          deployments per day or week and the DORA figures
                                                          (default: the 30 days before now, by day)`,
  options: {
    environment: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    bucket: { type: 'string' },
  },
  async run(context) {
    context.need(1, '<repo> --environment <env>');
    const environment = context.string('environment');
    if (!environment) throw new CliError('metrics needs --environment <env> (e.g. prod)', 2);
    const query = new URLSearchParams({ environment });
    for (const key of ['from', 'to', 'bucket']) {
      const value = context.string(key);
      if (value !== undefined) query.set(key, value);
    }
    const repo = await resolveRepo(context.api, context.args[0] ?? '');
    const report = await call<DeliveryMetrics>(context.api, 'GET', `/repos/${repo}/metrics?${query}`);
    return { json: report, human: metricsReport(report) };
  },
};
