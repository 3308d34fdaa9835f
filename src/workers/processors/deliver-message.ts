import type { Job } from 'bullmq';
import { PermanentDeliveryError } from '../../core/errors';
import type { DeliveryService } from '../../core/messages/delivery';
import type { DeliveryJob } from '../../core/outbox';

function reason(error: unknown): string {
  if (error instanceof PermanentDeliveryError && error.code) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Sends one reply. When it fails for good (a permanent error, or the last attempt) the message is marked
 * `failed` with the reason before the job fails, so the agent sees it; retries are left to BullMQ.
 */
export function deliverMessageProcessor(delivery: DeliveryService) {
  return async (job: Job<DeliveryJob>): Promise<string> => {
    try {
      return await delivery.deliver(job.data.messageId);
    } catch (error) {
      // attemptsStarted also counts attempts put off by a Retry-After, so a server that always asks
      // for more time still ends in `failed`.
      const lastAttempt = Math.max(job.attemptsMade + 1, job.attemptsStarted) >= (job.opts.attempts ?? 1);
      if (error instanceof PermanentDeliveryError || lastAttempt) {
        await delivery.applyStatus(job.data.messageId, { status: 'failed', reason: reason(error) });
        if (!(error instanceof PermanentDeliveryError)) throw new PermanentDeliveryError(reason(error));
      }
      throw error;
    }
  };
}
