/**
 * One line of the results table. `met` is null for figures without a target. `key` names the figure
 * independently of its label (which carries option values such as the rate); `before` is the figure as
 * it was measured before the current work (bench/lib/before.ts), empty for most rows.
 */
export interface Row {
  key?: string;
  figure: string;
  switchboard: string;
  baseline: string;
  ratio: string;
  before?: string;
  target: string;
  met: boolean | null;
}

const HEADER: Row = { figure: 'figure', switchboard: 'switchboard', baseline: 'baseline', ratio: 'ratio', before: 'before', target: 'target', met: null };
const COLUMNS = ['figure', 'switchboard', 'baseline', 'ratio', 'before', 'target', 'met'] as const;

function cell(row: Row, column: (typeof COLUMNS)[number], header: boolean): string {
  if (column === 'before') return row.before ?? '';
  if (column !== 'met') return row[column];
  if (header) return 'met?';
  return row.met === null ? '' : row.met ? 'yes' : 'NO';
}

/** The rows as a plain-text table with aligned columns (numbers right-aligned). */
export function formatTable(rows: readonly Row[]): string {
  const all = [HEADER, ...rows];
  const widths = COLUMNS.map((column) => Math.max(...all.map((row, i) => cell(row, column, i === 0).length)));
  const line = (row: Row, header: boolean) =>
    COLUMNS.map((column, c) => {
      const text = cell(row, column, header);
      const width = widths[c] ?? 0;
      return c === 0 || header || column === 'before' || column === 'target' || column === 'met' ? text.padEnd(width) : text.padStart(width);
    })
      .join(' | ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('-|-');
  return [line(HEADER, true), rule, ...rows.map((row) => line(row, false))].join('\n');
}

export function fmt(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function ratio(switchboard: number, baseline: number, digits = 2): string {
  if (!Number.isFinite(switchboard) || !Number.isFinite(baseline) || baseline === 0) return 'n/a';
  return `${fmt(switchboard / baseline, digits)}×`;
}
