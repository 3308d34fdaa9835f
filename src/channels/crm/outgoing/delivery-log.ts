import type { EntityManager } from 'typeorm';
import type { Actor } from '../../../core/actor';
import { recordAudit } from '../../../core/audit';
import type { Database } from '../../../core/database';
import { ConflictError, NotFoundError } from '../../../core/errors';
import { newId } from '../../../core/ids';
import { insertRows, repo } from '../../../core/model/schemas';
import type { WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint } from '../../../core/model/types';
import type { Outbox, Unit } from '../../../core/outbox';
import { decodeCursor, pageOf, pastPosition, type Page } from '../../../core/pagination';
import { toJson, type Json } from '../../../core/serialize';
import { attemptRow, newDelivery } from './delivery-rows';
import { findEndpoint } from './endpoint-admin';

export interface DeliveryLogDeps {
  db: Database;
  outbox: Outbox;
}

/** A delivery as the log shows it: what was sent when, and each try's answer; not the body. */
export type DeliveryView = Json<Pick<WebhookDelivery, 'id' | 'eventId' | 'eventType' | 'status' | 'attemptCount' | 'attempts' | 'nextAttemptAt' | 'createdAt' | 'finishedAt'>>;

export const TEST_EVENT_TYPE = 'webhook.test';

/** How many deliveries one statement sets pending again: well under both engines' bound-parameter limits. */
const REDELIVER_CHUNK = 500;

function deliveryView(delivery: WebhookDelivery): DeliveryView {
  const { id, eventId, eventType, status, attemptCount, attempts, nextAttemptAt, createdAt, finishedAt } = toJson(delivery);
  return { id, eventId, eventType, status, attemptCount, attempts, nextAttemptAt, createdAt, finishedAt };
}

/** An endpoint's deliveries, newest first, optionally of one status. */
export async function listDeliveries(db: Database, endpointId: string, filter: { status?: WebhookDeliveryStatus; limit: number; cursor?: string }): Promise<Page<DeliveryView>> {
  await findEndpoint(db.manager, endpointId);
  const query = repo(db.manager, 'WebhookDelivery').createQueryBuilder('d').where('d.endpointId = :endpointId', { endpointId });
  if (filter.status) query.andWhere('d.status = :status', { status: filter.status });
  if (filter.cursor) query.andWhere(pastPosition('d', 'createdAt', decodeCursor(filter.cursor), '<'));
  const rows = await query.orderBy('d.createdAt', 'DESC').addOrderBy('d.id', 'DESC').limit(filter.limit + 1).getMany();
  return pageOf(rows, filter.limit, (d) => ({ at: d.createdAt, id: d.id }), (items) => items.map(deliveryView));
}

/** Sending to a disabled endpoint would only fail: it has to be turned on first. */
async function enabledEndpoint(manager: EntityManager, id: string): Promise<WebhookEndpoint> {
  const endpoint = await findEndpoint(manager, id);
  if (!endpoint.enabled) throw new ConflictError('webhook_disabled', `Webhook ${id} is disabled: enable it first (PATCH with "enabled": true).`);
  return endpoint;
}

/**
 * Sets finished deliveries pending again, with their tries kept and their event id (so the receiver sees
 * the same webhook-id) and the retry schedule from its start, and writes each one's next try. Only rows still finished are changed, so that a
 * delivery two requests redeliver at once is taken by one. Returns how many it changed.
 */
async function setPending(unit: Unit, deliveries: readonly Pick<WebhookDelivery, 'id' | 'attemptCount' | 'orderKey'>[], now: Date): Promise<number> {
  let taken = 0;
  for (let start = 0; start < deliveries.length; start += REDELIVER_CHUNK) {
    const ids = deliveries.slice(start, start + REDELIVER_CHUNK).map((delivery) => delivery.id);
    const result = await repo(unit.manager, 'WebhookDelivery')
      .createQueryBuilder()
      .update()
      // The retry schedule starts again: a redelivery gets every retry a new delivery gets.
      .set({ status: 'pending', retriesFrom: () => '"attemptCount"', nextAttemptAt: now, finishedAt: null, updatedAt: now })
      .where('id IN (:...ids)', { ids })
      .andWhere('status <> :pending', { pending: 'pending' })
      .execute();
    taken += result.affected ?? 0;
  }
  // A try of a delivery that is not pending at its attempt count is a no-op, so a row too many is harmless.
  await unit.write(deliveries.map((delivery) => attemptRow(delivery, null, now)));
  return taken;
}

/** Sends one finished delivery again; a pending one is refused (it is still being tried). */
export async function redeliver({ outbox }: DeliveryLogDeps, endpointId: string, deliveryId: string, actor: Actor): Promise<DeliveryView> {
  return outbox.runUnit(
    async (unit) => {
      await enabledEndpoint(unit.manager, endpointId);
      const delivery = await repo(unit.manager, 'WebhookDelivery').findOneBy({ id: deliveryId, endpointId });
      if (!delivery) throw new NotFoundError(`Delivery ${deliveryId}`);
      const now = new Date();
      const taken = delivery.status === 'pending' ? 0 : await setPending(unit, [delivery], now);
      if (taken === 0) throw new ConflictError('delivery_pending', `Delivery ${deliveryId} is still pending: it will be tried again by itself.`);
      await recordAudit(unit.manager, actor, { action: 'webhook.redelivered', entityType: 'webhook', entityId: endpointId, after: { deliveryId, eventId: delivery.eventId } });
      return deliveryView({ ...delivery, status: 'pending', retriesFrom: delivery.attemptCount, nextAttemptAt: now, finishedAt: null, updatedAt: now });
    },
    { key: endpointId },
  );
}

/** Sends again every delivery of the endpoint that failed, of the events since `since`. Returns how many. */
export async function redeliverFailed({ db, outbox }: DeliveryLogDeps, endpointId: string, since: Date, actor: Actor): Promise<number> {
  return outbox.runUnit(
    async (unit) => {
      await enabledEndpoint(unit.manager, endpointId);
      const query = repo(unit.manager, 'WebhookDelivery')
        .createQueryBuilder('d')
        .select(['d.id', 'd.attemptCount', 'd.orderKey'])
        .where('d.endpointId = :endpointId AND d.status = :failed AND d.createdAt >= :since', { endpointId, failed: 'failed', since });
      if (db.engine === 'postgres') query.setLock('pessimistic_write');
      const failed = await query.orderBy('d.orderAt', 'ASC').addOrderBy('d.orderIndex', 'ASC').getMany();
      const taken = await setPending(unit, failed, new Date());
      if (taken > 0) await recordAudit(unit.manager, actor, { action: 'webhook.redelivered', entityType: 'webhook', entityId: endpointId, after: { since: since.toISOString(), count: taken } });
      return taken;
    },
    { key: endpointId },
  );
}

/** A `webhook.test` event for this endpoint alone, sent like any other. Returns its delivery. */
export async function sendTestEvent({ outbox }: DeliveryLogDeps, endpointId: string, actor: Actor): Promise<DeliveryView> {
  return outbox.runUnit(
    async (unit) => {
      await enabledEndpoint(unit.manager, endpointId);
      const now = new Date();
      const eventId = newId();
      const data = { endpointId, message: 'A test event from Switchboard: this endpoint receives its webhooks.' };
      const delivery = newDelivery(endpointId, { id: eventId, type: TEST_EVENT_TYPE, occurredAt: now.toISOString(), orderKey: eventId, orderIndex: 0, data }, now);
      await insertRows(unit.manager, 'WebhookDelivery', delivery);
      await unit.write([attemptRow(delivery, null, now)]);
      await recordAudit(unit.manager, actor, { action: 'webhook.tested', entityType: 'webhook', entityId: endpointId, after: { deliveryId: delivery.id, eventId } });
      return deliveryView(delivery);
    },
    { key: endpointId },
  );
}
