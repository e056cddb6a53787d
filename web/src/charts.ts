/**
 * Charts drawn by hand as inline SVG (no chart library): stacked bars, a meter and horizontal bars. Each chart is
 * an image with a title and a description that say its numbers, every mark carries its value (a <title> for the
 * pointer, data-value for tests), and the panel that shows a chart also gives its numbers as text. Colours come
 * from the stylesheet's classes: the page's CSP allows no inline style.
 */
const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 640;

function s<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number> = {},
  ...children: Array<Node | string>
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

let charts = 0;

/** An SVG image named by its title and described by `description` (what a screen reader says of it). */
function chart(height: number, title: string, description: string, ...marks: Node[]): SVGSVGElement {
  charts += 1;
  const id = `chart-${charts}`;
  return s(
    'svg',
    {
      viewBox: `0 0 ${WIDTH} ${height}`,
      class: 'chart',
      role: 'img',
      'aria-labelledby': `${id}-title`,
      'aria-describedby': `${id}-desc`,
    },
    s('title', { id: `${id}-title` }, title),
    s('desc', { id: `${id}-desc` }, description),
    ...marks,
  );
}

/** The smallest of 1, 2, 5 × 10^n at or above `value` (at least 1): the top of an axis. */
function niceCeil(value: number): number {
  if (value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

export interface Series {
  key: string;
  label: string;
  /** a class of the stylesheet that colours its marks */
  className: string;
}

/**
 * Bars of `rows`, each stacked from `series` (values in series order), on a shared axis from 0. Every segment is
 * a rect with data-series and data-value; every bar's total is written above it.
 */
export function stackedBars(input: {
  title: string;
  description: string;
  series: Series[];
  rows: Array<{ label: string; values: number[] }>;
}): SVGSVGElement {
  const height = 220;
  const left = 34;
  const bottom = 30;
  const top = 16;
  const plotHeight = height - top - bottom;
  const plotWidth = WIDTH - left - 8;
  const totals = input.rows.map((row) => row.values.reduce((sum, v) => sum + v, 0));
  const max = niceCeil(Math.max(0, ...totals));
  const y = (value: number) => top + plotHeight - (value / max) * plotHeight;
  const marks: Node[] = [];
  for (const tick of [0, max / 2, max]) {
    marks.push(
      s('line', { class: 'grid', x1: left, x2: WIDTH - 8, y1: y(tick), y2: y(tick) }),
      s('text', { class: 'axis', x: left - 6, y: y(tick) + 4, 'text-anchor': 'end' }, String(tick)),
    );
  }
  const band = plotWidth / Math.max(1, input.rows.length);
  const barWidth = Math.max(2, Math.min(48, band * 0.7));
  const labelEvery = Math.ceil(input.rows.length / 14);
  input.rows.forEach((row, i) => {
    const x = left + i * band + (band - barWidth) / 2;
    let base = 0;
    const bar = s('g', { class: 'bar', 'data-label': row.label, 'data-total': totals[i] ?? 0 });
    input.series.forEach((series, k) => {
      const value = row.values[k] ?? 0;
      if (value > 0) {
        bar.append(
          s(
            'rect',
            {
              class: series.className,
              x,
              y: y(base + value),
              width: barWidth,
              height: (value / max) * plotHeight,
              'data-series': series.key,
              'data-value': value,
            },
            s('title', {}, `${row.label}: ${value} ${series.label.toLowerCase()}`),
          ),
        );
      }
      base += value;
    });
    if (base > 0) {
      bar.append(
        s('text', { class: 'total', x: x + barWidth / 2, y: y(base) - 4, 'text-anchor': 'middle' }, String(base)),
      );
    }
    marks.push(bar);
    if (i % labelEvery === 0) {
      marks.push(s('text', { class: 'axis', x: x + barWidth / 2, y: height - 10, 'text-anchor': 'middle' }, row.label));
    }
  });
  return chart(height, input.title, input.description, ...marks);
}

/** A share (0 to 1) as a filled track with its percentage, or an empty track that says why there is none. */
export function meter(input: {
  title: string;
  description: string;
  share: number | null;
  text: string;
}): SVGSVGElement {
  const height = 44;
  const track = WIDTH - 80;
  const share = Math.min(1, Math.max(0, input.share ?? 0));
  const marks: Node[] = [s('rect', { class: 'track', x: 0, y: 6, width: track, height: 18, rx: 3 })];
  if (input.share !== null) {
    marks.push(
      s('rect', {
        class: 'fill-bad',
        x: 0,
        y: 6,
        width: share * track,
        height: 18,
        rx: 3,
        'data-value': input.share,
      }),
    );
  }
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    marks.push(
      s(
        'text',
        {
          class: 'axis',
          x: Math.min(track - 1, Math.max(1, tick * track)),
          y: 38,
          'text-anchor': tick === 0 ? 'start' : tick === 1 ? 'end' : 'middle',
        },
        `${tick * 100}%`,
      ),
    );
  }
  marks.push(s('text', { class: 'figure', x: track + 10, y: 20 }, input.text));
  return chart(height, input.title, input.description, ...marks);
}

/** Horizontal bars of durations on one scale, each labelled with its figure (`format`), or "no data". */
export function durationBars(input: {
  title: string;
  description: string;
  rows: Array<{ label: string; seconds: number | null }>;
  format: (seconds: number) => string;
}): SVGSVGElement {
  const rowHeight = 26;
  const labelWidth = 120;
  const track = WIDTH - labelWidth - 110;
  const height = input.rows.length * rowHeight + 6;
  const max = Math.max(1, ...input.rows.map((row) => row.seconds ?? 0));
  const marks = input.rows.map((row, i) => {
    const y = 4 + i * rowHeight;
    const g = s('g', { class: 'duration', 'data-label': row.label });
    g.append(s('text', { class: 'axis', x: 0, y: y + 14 }, row.label));
    if (row.seconds === null) {
      g.append(s('text', { class: 'axis', x: labelWidth, y: y + 14 }, 'no data in this window'));
      return g;
    }
    const width = Math.max(1, (row.seconds / max) * track);
    g.append(
      s(
        'rect',
        { class: 'fill-accent', x: labelWidth, y, width, height: 18, rx: 3, 'data-value': row.seconds },
        s('title', {}, `${row.label}: ${input.format(row.seconds)}`),
      ),
      s('text', { class: 'figure', x: labelWidth + width + 8, y: y + 14 }, input.format(row.seconds)),
    );
    return g;
  });
  return chart(height, input.title, input.description, ...marks);
}
