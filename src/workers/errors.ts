import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { PermanentDeliveryError, RetryableDeliveryError } from '../core/errors';

/** A provider asking for more than this is waited on for this long, so a reply is never parked for days. */
export const MAX_RETRY_AFTER_MS = 15 * 60_000;

/**
 * Runs a processor and turns core's error types into BullMQ's: a permanent error is never retried, a
 * retryable one with a retry-after is delayed by exactly that, anything else is retried with backoff.
 */
export async function runJob<T>(job: Job, token: string | undefined, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof PermanentDeliveryError) throw new UnrecoverableError(error.message);
    if (error instanceof RetryableDeliveryError && error.retryAfterMs !== undefined && token) {
      await job.moveToDelayed(Date.now() + Math.min(error.retryAfterMs, MAX_RETRY_AFTER_MS), token);
      throw new DelayedError();
    }
    throw error;
  }
}
