import { newId } from '../../../core/ids';
import type { OutboxEvent, WebhookDelivery } from '../../../core/model/types';
import { CRM_QUEUE } from '../name';

/** The job that tries a delivery: a no-op unless the delivery is still pending at `attemptCount` tries. */
export const ATTEMPT_JOB = 'webhook.attempt';

export interface AttemptJob {
  deliveryId: string;
  /** The tries the delivery had when this job was written; a job that finds more was overtaken. */
  attemptCount: number;
  /**
   * This job's own (its outbox row's id): the claim records it, so that the same job run again after a
   * crash knows the claim for its own and sends again, and no other job does.
   */
  token: string;
}

/** What an endpoint receives: versioned JSON, exactly the bytes that are signed. */
export function deliveryBody(type: string, occurredAt: string, data: unknown): string {
  return JSON.stringify({ type, timestamp: occurredAt, data });
}

export interface DeliveryEvent {
  id: string;
  type: string;
  occurredAt: string;
  /** Deliveries of one key go out in order: a conversation's id, or the event's own for events about no conversation. */
  orderKey: string;
  /** The event's place among the events of its commit, after `occurredAt`. */
  orderIndex: number;
  data: unknown;
}

export function newDelivery(endpointId: string, event: DeliveryEvent, now: Date): WebhookDelivery {
  return {
    id: newId(),
    endpointId,
    eventId: event.id,
    eventType: event.type,
    orderKey: event.orderKey,
    orderAt: new Date(event.occurredAt),
    orderIndex: event.orderIndex,
    body: deliveryBody(event.type, event.occurredAt, event.data),
    status: 'pending',
    attempts: [],
    attemptCount: 0,
    retriesFrom: 0,
    claimToken: null,
    nextAttemptAt: now,
    createdAt: now,
    updatedAt: now,
    finishedAt: null,
  };
}

/**
 * The outbox row of a delivery's next try, at `runAt` (now when null). Each row has an id of its own, so
 * a wake-up is never swallowed by an earlier job of the same delivery; the attempt count decides which
 * of several runs.
 */
export function attemptRow(delivery: Pick<WebhookDelivery, 'id' | 'attemptCount' | 'orderKey'>, runAt: Date | null, now: Date, id = newId()): OutboxEvent {
  const payload: AttemptJob = { deliveryId: delivery.id, attemptCount: delivery.attemptCount, token: id };
  return { id, queue: CRM_QUEUE, name: ATTEMPT_JOB, payload, conversationId: null, runAt, createdAt: now };
}
