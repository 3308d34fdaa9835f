import type { Logger } from 'pino';
import type { Database } from '../../core/database';
import type { OutboxEvent } from '../../core/model/types';
import type { Outbox } from '../../core/outbox';
import { pruneEvents } from './inbound/records';
import type { CrmJobPart } from './jobs';
import { CRM_QUEUE } from './name';
import { deleteFinishedBefore } from './outgoing/deliveries';
import { stableId } from './outgoing/maintenance';

/** The hourly job that forgets what is older than the retention, then schedules its next run. */
export const RETENTION_JOB = 'crm.retention';
const RETENTION_EVERY_MS = 3_600_000;
const DAY_MS = 86_400_000;
const DELETE_BATCH = 1000;

export interface RetentionDeps {
  db: Database;
  outbox: Outbox;
  /** WEBHOOK_LOG_RETENTION_DAYS. */
  retentionDays: number;
  logger: Logger;
}

/** The retention job of the slot that `at` falls in: one id per hour, so every process restores the same one. */
function retentionRow(at: Date, now: Date): OutboxEvent {
  const slot = Math.floor(at.getTime() / RETENTION_EVERY_MS);
  const runAt = new Date((slot + 1) * RETENTION_EVERY_MS);
  return { id: stableId(`crm-retention:${slot}`), queue: CRM_QUEUE, name: RETENTION_JOB, payload: {}, conversationId: null, runAt, createdAt: now };
}

/** Runs `prune` a batch at a time until a batch comes back short; answers how many went. */
async function pruneAll(prune: (batch: number) => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const count = await prune(DELETE_BATCH);
    total += count;
    if (count < DELETE_BATCH) return total;
  }
}

/**
 * Deletes the finished webhook deliveries and the settled inbound CRM events older than the retention,
 * then schedules the next run (next hour's slot).
 */
export async function runRetention(deps: RetentionDeps): Promise<void> {
  const now = new Date();
  const before = new Date(now.getTime() - deps.retentionDays * DAY_MS);
  const deliveries = await pruneAll((batch) => deleteFinishedBefore(deps.db, before, batch));
  const inbound = await pruneAll((batch) => pruneEvents(deps.db, before, batch));
  if (deliveries + inbound > 0) deps.logger.info({ deliveries, inbound, before: before.toISOString() }, 'old webhook deliveries and CRM events deleted');
  await deps.outbox.restore([retentionRow(now, now)]);
}

/** The retention as a part of the CRM queue: at start-up, this hour's run is put back in case none is queued. */
export function retentionJobs(deps: RetentionDeps): CrmJobPart {
  return {
    names: [RETENTION_JOB],
    process: () => runRetention(deps),
    async reconcile() {
      const now = new Date();
      await deps.outbox.restore([retentionRow(now, now)]);
    },
  };
}
