import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import { newDelivery } from '../../src/channels/crm/outgoing/delivery-rows';
import { insertRows } from '../../src/core/model/schemas';
import type { WebhookAttempt, WebhookDelivery } from '../../src/core/model/types';
import { eventually, expectStatus } from './agent-api';
import type { TestHub } from './hub';

/** Shapes of /api/v1/webhooks as the tests read them. */

export interface WebhookItem {
  id: string;
  url: string;
  description: string | null;
  events: string[];
  enabled: boolean;
  previousSecretExpiresAt: string | null;
  failingSince: string | null;
  disabledAt: string | null;
  disabledReason: string | null;
  createdAt: string;
  updatedAt: string;
}

export type WebhookWithSecret = WebhookItem & { secret: string };

export interface DeliveryItem {
  id: string;
  eventId: string;
  eventType: string;
  status: 'pending' | 'succeeded' | 'failed';
  attemptCount: number;
  attempts: WebhookAttempt[];
  nextAttemptAt: string | null;
  createdAt: string;
  finishedAt: string | null;
}

/** A Standard Webhooks secret as the hub makes them: whsec_ and the base64 of 24 bytes. */
export const SECRET_PATTERN = /^whsec_[A-Za-z0-9+/]{32}$/;

export function createWebhook(t: TestHub, body: Record<string, unknown> = {}, key?: string): Promise<WebhookWithSecret> {
  return expectStatus<WebhookWithSecret>(201, t, 'POST', '/api/v1/webhooks', { url: 'https://93.184.215.14/hooks', events: ['*'], ...body }, { key });
}

/**
 * A delivery written straight into the log, as the delivery engine would leave it: finished ones with
 * their tries. `createdAt` orders the log.
 */
export async function insertDelivery(t: TestHub, endpointId: string, fields: Partial<WebhookDelivery> & { createdAt: Date }): Promise<WebhookDelivery> {
  const eventId = randomUUID();
  const base = newDelivery(endpointId, { id: eventId, type: 'message.created', occurredAt: fields.createdAt.toISOString(), orderKey: randomUUID(), orderIndex: 0, data: { probe: true } }, fields.createdAt);
  const status = fields.status ?? 'failed';
  const finished = status !== 'pending';
  const attempts: WebhookAttempt[] = finished ? [{ at: fields.createdAt.toISOString(), statusCode: status === 'failed' ? 400 : 200, latencyMs: 12, response: status === 'failed' ? 'bad request' : 'ok' }] : [];
  const delivery: WebhookDelivery = {
    ...base,
    attempts,
    attemptCount: attempts.length,
    nextAttemptAt: finished ? null : fields.createdAt,
    finishedAt: finished ? fields.createdAt : null,
    updatedAt: fields.createdAt,
    ...fields,
    status,
  };
  await insertRows(t.hub.db.manager, 'WebhookDelivery', delivery);
  return delivery;
}

/** The attempt jobs waiting on the crm queue for a delivery (the api role runs no workers, so they stay). */
export async function attemptJobsOf(queue: Queue, deliveryId: string): Promise<{ deliveryId: string; attemptCount: number }[]> {
  const jobs = await queue.getJobs(['waiting', 'delayed', 'prioritized', 'active', 'completed', 'failed']);
  // Only the fields the API sets: the engine's own (its claim token) are none of these tests' business.
  return jobs
    .map((job) => job.data as { deliveryId: string; attemptCount: number })
    .filter((data) => data.deliveryId === deliveryId)
    .map(({ deliveryId: id, attemptCount }) => ({ deliveryId: id, attemptCount }));
}

/** The attempt jobs of a delivery, once its unit of work's outbox rows are on the queue (they are published after the answer). */
export function waitForAttemptJobs(queue: Queue, deliveryId: string): Promise<{ deliveryId: string; attemptCount: number }[]> {
  return eventually(`the attempt job of delivery ${deliveryId}`, async () => {
    const jobs = await attemptJobsOf(queue, deliveryId);
    return jobs.length > 0 ? jobs : undefined;
  });
}
