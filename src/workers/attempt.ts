import type { Job } from 'bullmq';
import type { JobAttempt } from '../core/ports/channel-jobs';

/** What a processor of a channel's work may know of its job's attempt. */
export function attemptOf(job: Job): JobAttempt {
  return {
    lastAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
    keep: (data) => job.updateData(data),
  };
}
