import type { Job } from 'bullmq';
import type { Database } from '../../core/database';
import { wakeConversation } from '../../core/conversations/update';
import type { Outbox, WakeJob } from '../../core/outbox';

/** Reopens a snoozed conversation when its time comes. */
export function wakeConversationProcessor(deps: { db: Database; outbox: Outbox }) {
  return async (job: Job<WakeJob>): Promise<'woken' | 'unchanged'> =>
    (await wakeConversation(deps, job.data.conversationId, job.data.snoozedUntil)) ? 'woken' : 'unchanged';
}
