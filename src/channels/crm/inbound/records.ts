import { In, LessThan, Not, type EntityManager } from 'typeorm';
import type { Database } from '../../../core/database';
import { newId } from '../../../core/ids';
import { insertAllOf } from '../../../core/model/raw-rows';
import { repo, updateRow } from '../../../core/model/schemas';
import type { CrmInboundEvent, CrmInboundStatus, OutboxEvent } from '../../../core/model/types';
import type { Outbox } from '../../../core/outbox';
import { Sql } from '../../../core/sql';
import { CRM_QUEUE } from '../name';
import type { ReceivedEvent } from './actions';

/** The job that applies the events of one request, in their order. */
export const INBOUND_JOB = 'crm.inbound';

export interface InboundJob {
  /** Rows of crm_inbound_events, in the order their request had them. */
  eventIds: string[];
}

/** What a request's events became: new ones (to apply, or ignored at once) and redeliveries of known ones. */
export interface Recorded {
  accepted: number;
  ignored: number;
  duplicates: number;
}

/** The job of a request's events. Its id is the rows' `jobId`, so a reconciled job is the same job. */
function jobRow(jobId: string, eventIds: string[], now: Date): OutboxEvent {
  const payload: InboundJob = { eventIds };
  return { id: jobId, queue: CRM_QUEUE, name: INBOUND_JOB, payload, conversationId: null, runAt: null, createdAt: now };
}

/**
 * Records a verified request's events and the job that applies them, in one unit of work, before the
 * request is answered: once this resolves, nothing acknowledged can be lost. An event whose id the
 * provider sent before is a redelivery and is left as it is (the unique key decides, so two deliveries
 * at once record it once); events the hub does not handle are recorded as ignored and get no job.
 */
export async function recordEvents(outbox: Outbox, db: Database, provider: string, received: readonly ReceivedEvent[]): Promise<Recorded> {
  const unique = [...new Map(received.map((event) => [event.eventId, event])).values()];
  return outbox.runUnit(
    async ({ manager, write }) => {
      const sql = new Sql(manager, db.engine);
      const now = new Date();
      const jobId = newId();
      const rows: CrmInboundEvent[] = unique.map((event, position) => {
        const ignored = event.action.kind === 'ignore';
        return {
          id: newId(),
          provider,
          eventId: event.eventId,
          type: event.type,
          payload: event.action,
          jobId,
          position,
          status: ignored ? 'ignored' : 'pending',
          outcome: event.action.kind === 'ignore' ? event.action.reason : null,
          contactId: null,
          receivedAt: now,
          processedAt: ignored ? now : null,
        };
      });
      // One statement for the whole batch; the ids it answers are the events not seen before.
      const insert = insertAllOf(sql, 'CrmInboundEvent', rows);
      const inserted = insert ? await sql.rows<{ id: string }>(`${insert.text} ON CONFLICT (provider, "eventId") DO NOTHING RETURNING id`, insert.params, { varies: insert.varies }) : [];
      const insertedIds = new Set(inserted.map((row) => row.id));
      const fresh = rows.filter((row) => insertedIds.has(row.id));
      const pending = fresh.filter((row) => row.status === 'pending');
      if (pending.length > 0) await write([jobRow(jobId, pending.map((row) => row.id), now)]);
      return { accepted: pending.length, ignored: fresh.length - pending.length, duplicates: received.length - fresh.length };
    },
    { key: `crm:${provider}` },
  );
}

/** The rows of a job, in their order. */
export async function eventsOf(db: Database, ids: readonly string[]): Promise<CrmInboundEvent[]> {
  const rows = await repo(db.manager, 'CrmInboundEvent').findBy({ id: In([...ids]) });
  return rows.sort((a, b) => a.position - b.position);
}

export interface Settled {
  status: Exclude<CrmInboundStatus, 'pending'>;
  outcome: string;
  contactId?: string | null;
}

/** What became of an event; in the unit of its effect, so that effect and record commit together. */
export async function settleEvent(manager: EntityManager, id: string, settled: Settled): Promise<void> {
  await updateRow(manager, 'CrmInboundEvent', id, { status: settled.status, outcome: settled.outcome, contactId: settled.contactId ?? null, processedAt: new Date() });
}

/**
 * Puts back the jobs of events still pending (their Redis data lost): one per request, with the same
 * id, so a job still queued is not added twice, and one that runs again skips what its rows say is done.
 */
export async function restorePending(outbox: Outbox, db: Database): Promise<number> {
  const pending = await repo(db.manager, 'CrmInboundEvent').find({ where: { status: 'pending' }, select: { id: true, jobId: true, position: true }, order: { jobId: 'ASC', position: 'ASC' } });
  const jobs = new Map<string, string[]>();
  for (const row of pending) jobs.set(row.jobId, [...(jobs.get(row.jobId) ?? []), row.id]);
  const now = new Date();
  await outbox.restore([...jobs].map(([jobId, eventIds]) => jobRow(jobId, eventIds, now)));
  return jobs.size;
}

/** Forgets up to `limit` settled events received before `before`; a redelivery older than that would be applied again. */
export async function pruneEvents(db: Database, before: Date, limit: number): Promise<number> {
  const events = repo(db.manager, 'CrmInboundEvent');
  const old = await events.find({ where: { receivedAt: LessThan(before), status: Not('pending') }, select: { id: true }, take: limit });
  if (old.length === 0) return 0;
  await events.delete({ id: In(old.map((row) => row.id)) });
  return old.length;
}
