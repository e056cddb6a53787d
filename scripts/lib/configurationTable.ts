import fs from 'node:fs';
import { configurationRows } from '../../lib/infra/config';

const START =
  '<!-- configuration: made from schemas/config.ts by npm run generate; edit the schema, not this table -->';
const END = '<!-- end of configuration -->';

/** The table of every variable, columns aligned as the formatter lays Markdown tables out. */
function table(): string {
  const head: string[] = ['variable', 'default', 'meaning'];
  const rows: string[][] = configurationRows();
  const widths = head.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(head), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

/** The rows of the table between the markers of `readme`, each cell trimmed (how it is laid out does not matter). */
export function documentedRows(readme: string): string[][] {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start === -1 || end === -1) throw new Error(`README.md has no ${START} … ${END} section`);
  return readme
    .slice(start + START.length, end)
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .slice(2)
    .map((line) =>
      line
        .slice(1, -1)
        .split(' | ')
        .map((cell) => cell.trim()),
    );
}

/** Rewrites the README's configuration table from the schema; true when it changed. */
export function writeConfigurationTable(file: string): boolean {
  const text = fs.readFileSync(file, 'utf8');
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start === -1 || end === -1) throw new Error(`${file} has no ${START} … ${END} section`);
  const next = `${text.slice(0, start + START.length)}\n\n${table()}\n\n${text.slice(end)}`;
  if (next === text) return false;
  fs.writeFileSync(file, next);
  return true;
}
