import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Database } from '../../../core/database';
import type { OutboxEvent } from '../../../core/model/types';
import type { Outbox } from '../../../core/outbox';
import { CRM_QUEUE } from '../name';
import { deleteFinishedBefore, lineHeads } from './deliveries';
import { attemptRow } from './delivery-rows';

/** The job that deletes old finished deliveries, and schedules its next run. */
export const RETENTION_JOB = 'webhook.retention';
const RETENTION_EVERY_MS = 3_600_000;
const RECONCILE_PAGE = 500;
const DELETE_BATCH = 1000;

/** A UUID-shaped id that is the same for the same name (so restoring it twice adds one job). */
function stableId(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export interface MaintenanceDeps {
  db: Database;
  outbox: Outbox;
  retentionDays: number;
  logger: Logger;
}

/**
 * Puts back on the queue the head of every line that still has a pending delivery (its job may have
 * been lost with Redis's data), at its next attempt time. Ids are stable per (delivery, tries), so a
 * second start-up adds nothing; a duplicate of a job still queued is harmless, the claim lets one send.
 */
export async function restoreLineHeads(deps: MaintenanceDeps): Promise<number> {
  let restored = 0;
  let after = '';
  for (;;) {
    const heads = await lineHeads(deps.db, after, RECONCILE_PAGE);
    if (heads.length === 0) return restored;
    const now = new Date();
    await deps.outbox.restore(heads.map((head) => attemptRow(head, head.nextAttemptAt && head.nextAttemptAt > now ? head.nextAttemptAt : null, now, stableId(`webhook-attempt:${head.id}:${head.attemptCount}`))));
    restored += heads.length;
    after = heads[heads.length - 1]?.id ?? after;
  }
}

/** The retention job of the slot that `at` falls in: one id per hour, so every process restores the same one. */
function retentionRow(at: Date, now: Date): OutboxEvent {
  const slot = Math.floor(at.getTime() / RETENTION_EVERY_MS);
  const runAt = new Date((slot + 1) * RETENTION_EVERY_MS);
  return { id: stableId(`webhook-retention:${slot}`), queue: CRM_QUEUE, name: RETENTION_JOB, payload: {}, conversationId: null, runAt, createdAt: now };
}

/** At start-up: the retention job of this hour, in case none is queued. */
export function restoreRetention(deps: MaintenanceDeps): Promise<void> {
  const now = new Date();
  return deps.outbox.restore([retentionRow(now, now)]);
}

/** Deletes finished deliveries older than the retention, then schedules the next run (next hour's slot). */
export async function runRetention(deps: MaintenanceDeps): Promise<void> {
  const now = new Date();
  const before = new Date(now.getTime() - deps.retentionDays * 86_400_000);
  let deleted = 0;
  for (;;) {
    const count = await deleteFinishedBefore(deps.db, before, DELETE_BATCH);
    deleted += count;
    if (count < DELETE_BATCH) break;
  }
  if (deleted > 0) deps.logger.info({ deleted, before: before.toISOString() }, 'old webhook deliveries deleted');
  await deps.outbox.restore([retentionRow(now, now)]);
}
