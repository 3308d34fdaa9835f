import type { Row } from './table';

/**
 * The figures of the issue that set the targets, measured on 2 cores before the hot-path work: printed
 * beside today's figure so a run shows how far it has come, not only whether it is there yet. Keyed by
 * the row's `key` (set where the row is built) because the printed labels carry option values (rates,
 * sender counts) that change from run to run.
 */
export const BEFORE = {
  'ingest req/s (sqlite)': '0.26–0.32×',
  'ingest req/s (postgres)': '0.13–0.14×',
  'reply delivered/s (sqlite)': '0.07×',
  'reply delivered/s (postgres)': '0.05×',
  'event latency p99 (sqlite)': '≤ 50 ms',
  'event latency p99 (postgres)': '≤ 50 ms',
  'widget message → API stream p99': '4.6× ws echo',
  'email inbound mails/s (sqlite)': '0.22×',
  'email inbound mails/s (postgres)': '0.13×',
} as const satisfies Record<string, string>;

export type BeforeKey = keyof typeof BEFORE;

/** The rows with their `before` figure filled in from BEFORE; rows without a key (or an unknown one) keep it empty. */
export function withBefore(rows: readonly Row[]): Row[] {
  return rows.map((row) => {
    const before = row.key !== undefined && Object.hasOwn(BEFORE, row.key) ? BEFORE[row.key as BeforeKey] : undefined;
    return before === undefined ? row : { ...row, before };
  });
}
