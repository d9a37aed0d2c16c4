import type { Metric } from '../lib/types';
import { formatTarget, formatValue, formatVerdict } from './format';

export interface Row {
  scenario: string;
  metric: string;
  measured: string;
  target: string;
  verdict: string;
  note: string;
}

export const tableRows = (metrics: readonly Metric[], loadFlag: (scenario: string) => string): Row[] =>
  metrics.map((m) => ({
    scenario: m.scenario + loadFlag(m.scenario),
    metric: m.name,
    measured: formatValue(m),
    target: formatTarget(m.target, m.unit),
    verdict: formatVerdict(m),
    note: m.note ?? '',
  }));

const HEADERS: Row = {
  scenario: 'scenario',
  metric: 'metric',
  measured: 'measured',
  target: 'target',
  verdict: 'verdict',
  note: 'note',
};
const COLUMNS = Object.keys(HEADERS) as (keyof Row)[];

/** A fixed-width table for the terminal. */
export const textTable = (rows: readonly Row[]) => {
  const widths = COLUMNS.map((c) => Math.max(HEADERS[c].length, ...rows.map((r) => r[c].length)));
  const line = (r: Row) =>
    COLUMNS.map((c, i) => r[c].padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(HEADERS), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
};

/** The same table in Markdown. */
export const markdownTable = (rows: readonly Row[]) => {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const line = (r: Row) => `| ${COLUMNS.map((c) => cell(r[c])).join(' | ')} |`;
  return [line(HEADERS), `|${COLUMNS.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
};
