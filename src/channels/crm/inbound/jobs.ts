import type { Logger } from 'pino';
import { z } from 'zod';
import { isRefusal, PermanentDeliveryError } from '../../../core/errors';
import type { CrmJobPart } from '../jobs';
import { applyEvent, type ApplyDeps } from './apply';
import { eventsOf, INBOUND_JOB, restorePending, settleEvent } from './records';

export interface InboundJobDeps extends ApplyDeps {
  logger: Logger;
}

const jobData = z.object({ eventIds: z.array(z.string()) });

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The worker side of POST /webhooks/crm/:provider: a request's events, applied one after another in
 * their order, each once (a settled one is skipped, so a retry resumes where the last try stopped).
 * An event the hub refuses (no identity on the channel, an opted-out recipient) is failed with its
 * reason, logged at warn, and the others still run; the job then fails for good, naming them.
 * Settled events are forgotten by the CRM channel's retention job.
 */
export function inboundJobs(deps: InboundJobDeps): CrmJobPart {
  const { db, logger } = deps;
  return {
    names: [INBOUND_JOB],
    async process(_name, data, attempt) {
      const job = jobData.safeParse(data);
      if (!job.success) throw new PermanentDeliveryError(`malformed CRM inbound job: ${job.error.message}`);
      const failed: string[] = [];
      for (const row of await eventsOf(db, job.data.eventIds)) {
        if (row.status !== 'pending') continue;
        const fields = { provider: row.provider, eventId: row.eventId, type: row.type, crmEventId: row.id };
        let outcome: string;
        try {
          const settled = await applyEvent(deps, row);
          if (settled.status !== 'failed') {
            logger.debug({ ...fields, status: settled.status, contactId: settled.contactId }, 'CRM event applied');
            continue;
          }
          outcome = settled.outcome;
        } catch (error) {
          const final = attempt.lastAttempt || error instanceof PermanentDeliveryError || isRefusal(error);
          if (!final) {
            logger.warn({ ...fields, err: error }, 'could not apply a CRM event yet; will retry');
            throw error;
          }
          outcome = `failed: ${messageOf(error)}`;
          await db.transaction((manager) => settleEvent(manager, row.id, { status: 'failed', outcome }));
        }
        logger.warn({ ...fields, reason: outcome }, 'a CRM event was acknowledged but could not be applied');
        failed.push(`${row.eventId} (${outcome})`);
      }
      if (failed.length > 0) throw new PermanentDeliveryError(`CRM events not applied: ${failed.join('; ')}`);
    },
    async reconcile() {
      const restored = await restorePending(deps.outbox, db);
      if (restored > 0) logger.info({ restored }, 'pending CRM events put back on the queue');
    },
  };
}
