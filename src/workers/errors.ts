import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { PermanentDeliveryError, RetryableDeliveryError } from '../core/errors';

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
      await job.moveToDelayed(Date.now() + error.retryAfterMs, token);
      throw new DelayedError();
    }
    throw error;
  }
}
