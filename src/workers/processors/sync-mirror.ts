import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { RetryableDeliveryError } from '../../core/errors';
import type { ConversationMirror } from '../../core/ports/mirror';

export const MIRROR_QUEUE = 'mirror';

export interface MirrorJob {
  target: string;
  conversationId: string;
}

/** Longer than one sync should ever take; a worker that dies holding the lock frees it after this. */
const LOCK_MS = 60_000;
/** When another worker is syncing the conversation, this job comes back after it. */
const BUSY_RETRY_MS = 250;

/**
 * Syncs one conversation's mirror. One sync per conversation at a time (a Redis lock), so its messages
 * reach the mirror in order; a job that finds the lock taken is put off, not dropped, because the
 * running sync may have read the conversation before this job's event.
 */
export function syncMirrorProcessor(mirrors: readonly ConversationMirror[], redis: Redis, prefix: string) {
  const byTarget = new Map(mirrors.map((mirror) => [mirror.target, mirror]));
  return async (job: Job<MirrorJob>): Promise<void> => {
    const mirror = byTarget.get(job.data.target);
    if (!mirror) return;
    const lock = `${prefix}:mirror-lock:${job.data.target}:${job.data.conversationId}`;
    const owner = `${job.id ?? ''}:${job.attemptsStarted}`;
    if ((await redis.set(lock, owner, 'PX', LOCK_MS, 'NX')) !== 'OK') throw new RetryableDeliveryError('another worker is syncing this conversation', BUSY_RETRY_MS);
    try {
      await mirror.sync(job.data.conversationId);
    } finally {
      // Only our own lock: after a long pause it may have lapsed and been taken by another worker.
      await redis.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0", 1, lock, owner);
    }
  };
}
