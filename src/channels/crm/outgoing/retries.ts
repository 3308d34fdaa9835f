import { retryAfterMs } from '../../retry-after';
import type { SendOutcome } from './sender';

/** No wait is longer than this, whatever a receiver's Retry-After asks. */
export const MAX_RETRY_WAIT_MS = 10 * 3_600_000;
const JITTER = 0.1;

/** What a try leads to: done, another try after `waitMs`, or failed for good (and whether the endpoint goes with it). */
export type Verdict = { kind: 'succeeded' } | { kind: 'retry'; waitMs: number } | { kind: 'failed'; disable?: string };

/** Network errors, timeouts, 429 and 5xx pass; other answers would be the same next time. */
function retryable(outcome: SendOutcome): boolean {
  if (!outcome.answered) return !outcome.refused;
  return outcome.status === 429 || outcome.status >= 500;
}

/**
 * The verdict on a delivery's `tries`-th try: a 2xx succeeds; 410 Gone fails it and disables the
 * endpoint; a retryable failure waits for the schedule's next step (±10%, or the receiver's longer
 * Retry-After, capped), until the schedule runs out.
 */
export function verdictOf(outcome: SendOutcome, tries: number, schedule: readonly number[], random: () => number = Math.random): Verdict {
  if (outcome.answered && outcome.status >= 200 && outcome.status < 300) return { kind: 'succeeded' };
  if (outcome.answered && outcome.status === 410) return { kind: 'failed', disable: 'the receiver answered 410 Gone' };
  const step = schedule[tries - 1];
  if (!retryable(outcome) || step === undefined) return { kind: 'failed' };
  const jittered = step * (1 - JITTER + 2 * JITTER * random());
  const asked = outcome.answered ? retryAfterMs(outcome.retryAfter) : undefined;
  return { kind: 'retry', waitMs: Math.round(Math.min(MAX_RETRY_WAIT_MS, Math.max(jittered, asked ?? 0))) };
}
