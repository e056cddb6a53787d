import type { Api } from './api';
import { durationBars, meter, type Series, stackedBars } from './charts';
import { byId, h } from './dom';
import { duration } from './format';
import type { DeliveryMetrics, MemberRepo, RepoEnvironment } from './types';

/**
 * The delivery metrics of one environment (GET /repos/{repo}/metrics, by week): deployments per week by outcome,
 * the change failure rate, the lead time and the time to restore, drawn as charts with their numbers as text.
 */
const DAY_MS = 24 * 3600 * 1000;
const WINDOWS = [
  { days: 28, label: 'last 4 weeks' },
  { days: 91, label: 'last 13 weeks' },
  { days: 182, label: 'last 26 weeks' },
];

const SERIES: Series[] = [
  { key: 'succeeded', label: 'Succeeded', className: 'seg-success' },
  { key: 'rollbacks', label: 'Rollbacks', className: 'seg-rollback' },
  { key: 'failed', label: 'Failed', className: 'seg-failed' },
  { key: 'inProgress', label: 'In progress', className: 'seg-busy' },
];

/** A bucket's deployments by outcome, in SERIES order: rollbacks (which succeed) apart from the other successes. */
function outcomes(b: DeliveryMetrics['buckets'][number]): number[] {
  const rollbacks = Math.min(b.rollbacks, b.successes);
  return [b.successes - rollbacks, rollbacks, b.failures, Math.max(0, b.deployments - b.successes - b.failures)];
}

const weekLabel = (iso: string) =>
  new Date(iso).toLocaleDateString('en', { month: 'short', day: 'numeric', timeZone: 'UTC' });
const percent = (share: number) => `${(share * 100).toFixed(1)}%`;

let chosen: { environment: string | null; days: number } = { environment: null, days: 91 };
let loading = 0;

function render(m: DeliveryMetrics): HTMLElement[] {
  const rows = m.buckets.map((b) => ({ label: weekLabel(b.start), values: outcomes(b) }));
  const total = m.buckets.reduce((sum, b) => sum + b.deployments, 0);
  const sums = SERIES.map((_, k) => rows.reduce((sum, row) => sum + (row.values[k] ?? 0), 0));
  const window = `from ${m.from.slice(0, 10)} to ${m.to.slice(0, 10)}`;
  const env = m.environment.name;
  const spread = (d: DeliveryMetrics['leadTime']) =>
    d.count === 0
      ? 'no measurements in this window'
      : `median ${duration(d.medianSeconds ?? 0)}, 90th percentile ${duration(d.p90Seconds ?? 0)}, over ${d.count}`;
  const table = h(
    'table',
    { class: 'numbers' },
    h('caption', {}, `Deployments to ${env} per week`),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'Week of'),
        h('th', { scope: 'col', class: 'number' }, 'Deployments'),
        ...SERIES.map((series) => h('th', { scope: 'col', class: 'number' }, series.label)),
      ),
    ),
    h(
      'tbody',
      {},
      ...m.buckets.map((b) =>
        h(
          'tr',
          { 'data-week': b.start },
          h('th', { scope: 'row' }, b.start.slice(0, 10)),
          h('td', { class: 'number' }, b.deployments),
          ...outcomes(b).map((value) => h('td', { class: 'number' }, value)),
        ),
      ),
    ),
  );
  return [
    h(
      'section',
      { class: 'metric', 'aria-label': 'Deployments per week' },
      h('h3', {}, `Deployments per week, by outcome`),
      stackedBars({
        title: `Deployments to ${env} per week, by outcome`,
        description: `${total} deployments ${window}: ${SERIES.map((series, k) => `${sums[k]} ${series.label.toLowerCase()}`).join(', ')}.`,
        series: SERIES,
        rows,
      }),
      h(
        'ul',
        { class: 'legend' },
        ...SERIES.map((series, k) =>
          h('li', {}, h('span', { class: `swatch ${series.className}` }), `${series.label} (${sums[k]})`),
        ),
      ),
      h('p', { class: 'figure-text' }, `Deployment frequency: ${m.deploymentFrequency.toFixed(2)} successful a day.`),
      h('details', {}, h('summary', {}, 'The numbers'), table),
    ),
    h(
      'section',
      { class: 'metric', 'aria-label': 'Change failure rate' },
      h('h3', {}, 'Change failure rate'),
      meter({
        title: `Change failure rate in ${env}`,
        description:
          m.changeFailureRate === null
            ? `No finished deployments ${window}.`
            : `${percent(m.changeFailureRate)} of the finished deployments ${window} failed or were rolled back.`,
        share: m.changeFailureRate,
        text: m.changeFailureRate === null ? 'no data' : percent(m.changeFailureRate),
      }),
      h(
        'p',
        { class: 'figure-text', 'data-figure': 'change-failure-rate' },
        m.changeFailureRate === null
          ? 'No finished deployments in this window.'
          : `${percent(m.changeFailureRate)} of finished deployments (not rollbacks) failed or were rolled back.`,
      ),
    ),
    h(
      'section',
      { class: 'metric', 'aria-label': 'Lead time' },
      h('h3', {}, 'Lead time'),
      durationBars({
        title: `Lead time to ${env}`,
        description: `From a release's creation to its first success in ${env}, ${window}: ${spread(m.leadTime)}.`,
        rows: [
          { label: 'Median', seconds: m.leadTime.medianSeconds },
          { label: '90th percentile', seconds: m.leadTime.p90Seconds },
        ],
        format: duration,
      }),
      h(
        'p',
        { class: 'figure-text', 'data-figure': 'lead-time' },
        `From a release's creation to its first success in ${env}: ${spread(m.leadTime)} ${m.leadTime.count === 1 ? 'release' : 'releases'}.`,
      ),
    ),
    h(
      'section',
      { class: 'metric', 'aria-label': 'Time to restore' },
      h('h3', {}, 'Time to restore'),
      durationBars({
        title: `Time to restore ${env}`,
        description: `From a failure or a rolled-back deployment to the next success or the rollback, ${window}: ${spread(m.timeToRestore)}.`,
        rows: [
          { label: 'Median', seconds: m.timeToRestore.medianSeconds },
          { label: '90th percentile', seconds: m.timeToRestore.p90Seconds },
        ],
        format: duration,
      }),
      h(
        'p',
        { class: 'figure-text', 'data-figure': 'time-to-restore' },
        `From a failure or a rolled-back deployment to the next success or the rollback: ${spread(m.timeToRestore)} ${m.timeToRestore.count === 1 ? 'restore' : 'restores'}.`,
      ),
    ),
  ];
}

/**
 * Shows the metrics panel of `repo` for the chosen environment (prod, or the last of the pipeline, at first) and
 * window; the pickers reload it.
 */
export async function renderMetrics(
  api: Api,
  repo: MemberRepo,
  environments: RepoEnvironment[],
  live: () => boolean,
): Promise<void> {
  const panel = byId('metrics');
  if (environments.length === 0) {
    panel.hidden = true;
    return;
  }
  panel.hidden = false;
  const names = environments.map((e) => e.name);
  if (!chosen.environment || !names.includes(chosen.environment)) {
    chosen.environment = names.includes('prod') ? 'prod' : (names[names.length - 1] ?? null);
  }
  const envSelect = h(
    'select',
    { id: 'metrics-environment' },
    ...names.map((name) => h('option', { value: name, selected: name === chosen.environment }, name)),
  );
  const windowSelect = h(
    'select',
    { id: 'metrics-window' },
    ...WINDOWS.map((w) => h('option', { value: w.days, selected: w.days === chosen.days }, w.label)),
  );
  const reload = () => {
    chosen = { environment: envSelect.value, days: Number(windowSelect.value) };
    void renderMetrics(api, repo, environments, live);
  };
  envSelect.addEventListener('change', reload);
  windowSelect.addEventListener('change', reload);
  const body = h('div', { class: 'metrics-body', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading…'));
  panel.replaceChildren(
    h(
      'div',
      { class: 'panel-head' },
      h('h2', {}, 'Delivery metrics'),
      h('label', {}, 'Environment ', envSelect),
      h('label', {}, 'Window ', windowSelect),
    ),
    body,
  );
  loading += 1;
  const mine = loading;
  const query = new URLSearchParams({
    environment: chosen.environment ?? '',
    from: new Date(Date.now() - chosen.days * DAY_MS).toISOString(),
    bucket: 'week',
  });
  try {
    const metrics = await api.get<DeliveryMetrics>(`/repos/${repo.id}/metrics?${query}`);
    if (!live() || mine !== loading) return;
    body.replaceChildren(...render(metrics));
    body.dataset.from = metrics.from;
    body.dataset.to = metrics.to;
  } catch (err) {
    if (live() && mine === loading) body.replaceChildren(h('p', { class: 'error' }, (err as Error).message));
  }
}
