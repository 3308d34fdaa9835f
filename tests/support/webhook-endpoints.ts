import { newEndpoint } from '../../src/channels/crm/outgoing/endpoint-admin';
import type { Database } from '../../src/core/database';
import { repo } from '../../src/core/model/schemas';
import type { WebhookDelivery, WebhookEndpoint } from '../../src/core/model/types';
import type { ReceivedWebhook } from './webhook-receiver';

/** An outgoing webhook endpoint written straight into the database (as the API would create it). */
export async function createEndpoint(db: Database, fields: Partial<WebhookEndpoint> & { url: string }): Promise<WebhookEndpoint> {
  const endpoint = newEndpoint({ description: null, events: ['*'], ...fields }, new Date());
  await repo(db.manager, 'WebhookEndpoint').insert(endpoint);
  return endpoint;
}

export function deliveriesOf(db: Database, endpointId: string): Promise<WebhookDelivery[]> {
  return repo(db.manager, 'WebhookDelivery').find({ where: { endpointId }, order: { orderAt: 'ASC', orderIndex: 'ASC', id: 'ASC' } });
}

/** What an outgoing CRM webhook carries, as the receiver parsed it. */
export interface EventPayload {
  type: string;
  timestamp: string;
  data: Record<string, unknown> & { conversationId?: string };
}

export function eventOf(request: ReceivedWebhook): EventPayload | undefined {
  return request.payload;
}
