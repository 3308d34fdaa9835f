import type { DeliveryStatus } from '../model/types';

/** Progress of an outbound message; a receipt only ever moves it forward. */
const PROGRESS: Partial<Record<DeliveryStatus, number>> = { queued: 0, sent: 1, delivered: 2, read: 3 };
const FAILURES: readonly DeliveryStatus[] = ['failed', 'undelivered'];

/**
 * Whether an outbound message may move from one status to another. Receipts arrive late, twice and out
 * of order: a `sent` after `delivered` changes nothing, and a failure is final.
 */
export function canMoveDeliveryStatus(from: DeliveryStatus, to: DeliveryStatus): boolean {
  const fromRank = PROGRESS[from];
  if (fromRank === undefined) return false;
  if (FAILURES.includes(to)) return fromRank <= (PROGRESS.sent ?? 1);
  const toRank = PROGRESS[to];
  return toRank !== undefined && toRank > fromRank;
}
