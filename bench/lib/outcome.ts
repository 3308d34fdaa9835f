import type { Row } from './table';

/** A figure, or why it could not be measured. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: string };

/** Runs one part of the bench; a failure is logged and kept as the part's outcome, and the run goes on. */
export async function attempt<T>(what: string, work: () => Promise<T>, log: (line: string) => void): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`  ${what} failed: ${message}`);
    return { ok: false, error: message };
  }
}

export function failedRow(figure: string, error: string): Row {
  return { figure, switchboard: 'error', baseline: '', ratio: '', target: error.slice(0, 60), met: false };
}
