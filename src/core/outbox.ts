import { In, LessThanOrEqual, type EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import type { Database } from './database';
import type { DomainEvent } from './events';
import { newId } from './ids';
import { insertRows, repo } from './model/schemas';
import type { OutboxEvent } from './model/types';

/** Fans domain events out to the event bus. */
export const EVENTS_QUEUE = 'events';
/** Sends outbound messages on their conversation's channel. */
export const DELIVERY_QUEUE = 'delivery';
/** Work that waits for its time, such as waking a snoozed conversation. */
export const TIMERS_QUEUE = 'timers';

export interface DeliveryJob {
  messageId: string;
  conversationId: string;
}

export interface WakeJob {
  conversationId: string;
  /** The snooze this job ends; a later snooze or an earlier reopening makes it a no-op. */
  snoozedUntil: string;
}

export function eventOutboxRow(event: DomainEvent): OutboxEvent {
  return {
    id: event.id,
    queue: EVENTS_QUEUE,
    name: event.type,
    payload: event,
    conversationId: event.conversationId,
    runAt: null,
    createdAt: new Date(event.occurredAt),
  };
}

export function deliveryOutboxRow(job: DeliveryJob, now: Date): OutboxEvent {
  return { id: newId(), queue: DELIVERY_QUEUE, name: 'deliver', payload: job, conversationId: job.conversationId, runAt: null, createdAt: now };
}

export function wakeOutboxRow(job: WakeJob, now: Date): OutboxEvent {
  return { id: newId(), queue: TIMERS_QUEUE, name: 'wake', payload: job, conversationId: job.conversationId, runAt: new Date(job.snoozedUntil), createdAt: now };
}

/**
 * Puts outbox rows on their queues. Job ids derive from the outbox id, so publishing a row twice adds
 * one job.
 */
export interface JobPublisher {
  publish(rows: readonly OutboxEvent[]): Promise<void>;
}

export interface OutboxStats {
  waiting: number;
  oldestAgeSeconds: number;
}

/**
 * The transactional outbox: rows are written in the same transaction as the change they follow from,
 * published to the queues right after commit, and deleted once the queue has them. Whatever could not be
 * published (Redis down, process killed) stays in the table until `relay` publishes it.
 */
export class Outbox {
  constructor(
    private readonly db: Database,
    private readonly publisher: JobPublisher,
    private readonly logger: Logger,
  ) {}

  async write(manager: EntityManager, rows: readonly OutboxEvent[]): Promise<void> {
    if (rows.length > 0) await insertRows(manager, 'OutboxEvent', [...rows]);
  }

  /** Publishes rows that just committed; on failure they stay for the relay, so the caller need not wait. */
  dispatch(rows: readonly OutboxEvent[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    return this.publishAndDelete(rows).catch((error: unknown) => {
      this.logger.warn({ err: error, outboxIds: rows.map((r) => r.id) }, 'outbox publish failed; the relay will retry');
    });
  }

  /** Publishes rows older than `minAgeMs` that are still in the table. Returns how many it published. */
  async relay(batchSize: number, minAgeMs: number): Promise<number> {
    const rows = await repo(this.db.manager, 'OutboxEvent').find({
      where: { createdAt: LessThanOrEqual(new Date(Date.now() - minAgeMs)) },
      order: { createdAt: 'ASC' },
      take: batchSize,
    });
    if (rows.length > 0) await this.publishAndDelete(rows);
    return rows.length;
  }

  async stats(): Promise<OutboxStats> {
    const outbox = repo(this.db.manager, 'OutboxEvent');
    const [waiting, oldest] = await Promise.all([outbox.count(), outbox.find({ order: { createdAt: 'ASC' }, take: 1 })]);
    const oldestAt = oldest[0]?.createdAt;
    return { waiting, oldestAgeSeconds: oldestAt ? Math.max(0, (Date.now() - oldestAt.getTime()) / 1000) : 0 };
  }

  private async publishAndDelete(rows: readonly OutboxEvent[]): Promise<void> {
    await this.publisher.publish(rows);
    const ids = rows.map((row) => row.id);
    await this.db.transaction((manager) => repo(manager, 'OutboxEvent').delete({ id: In(ids) }));
  }
}
