import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Database } from '../../../core/database';
import type { Outbox } from '../../../core/outbox';
import { lineHeads } from './deliveries';
import { attemptRow } from './delivery-rows';

const RECONCILE_PAGE = 500;

/** A UUID-shaped id that is the same for the same name (so restoring it twice adds one job). */
export function stableId(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export interface MaintenanceDeps {
  db: Database;
  outbox: Outbox;
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
