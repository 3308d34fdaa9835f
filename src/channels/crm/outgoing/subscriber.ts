import type { Database } from '../../../core/database';
import type { DomainEvent } from '../../../core/events';
import type { Outbox } from '../../../core/outbox';
import type { EventSubscriber } from '../../../core/ports/event-subscriber';
import { insertDeliveries } from './deliveries';
import { attemptRow, newDelivery, type DeliveryEvent } from './delivery-rows';
import { subscribedEndpoints, wantedTypes } from './endpoints';

/** The event as its deliveries carry it: the data with the conversation's id where there is one. */
function deliveryEvent(event: DomainEvent, index: number): DeliveryEvent {
  const data = event.conversationId === null ? event.data : { ...event.data, conversationId: event.conversationId };
  return { id: event.id, type: event.type, occurredAt: event.occurredAt, orderKey: event.conversationId ?? event.id, orderIndex: index, data };
}

/**
 * Turns each domain event into one delivery per enabled endpoint that wants it, with its first try's
 * job, in one unit. Idempotent on (endpoint, event): a job run again adds nothing. A `webhook.disabled`
 * event never goes to the endpoint it is about, which is off by the time it is handled.
 */
export function deliverySubscriber(deps: { db: Database; outbox: Outbox }): EventSubscriber {
  return {
    name: 'crm-webhooks',
    events: '*',
    // With no endpoint on, events cost no job; an endpoint made after an event's commit never wanted it.
    async wanted() {
      const types = await wantedTypes(deps.db);
      return types.has('*') ? '*' : [...types];
    },
    async handle(event, { index }) {
      const delivery = deliveryEvent(event, index);
      await deps.outbox.runUnit(
        async (unit) => {
          const endpoints = await subscribedEndpoints(unit, deps.db, event.type);
          if (endpoints.length === 0) return;
          const now = new Date();
          const rows = endpoints.map((endpoint) => newDelivery(endpoint.id, delivery, now));
          const inserted = await insertDeliveries(unit.manager, deps.db, rows);
          await unit.write(rows.filter((row) => inserted.has(row.id)).map((row) => attemptRow(row, null, now)));
        },
        { key: `webhook-events:${delivery.orderKey}` },
      );
    },
  };
}
