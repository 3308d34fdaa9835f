import { z } from 'zod';
import type { Sender } from '../../core/contacts/resolve-sender';
import type { Database } from '../../core/database';
import type { Inbound } from '../../core/inbound';
import { route } from '../../http/route';
import type { ChannelModule } from '../channel';
import { statusReportRoute } from './receipts-route';
import { ApiChannelDelivery, type WebhookTarget } from './webhook-delivery';
import { inboundSchema, type InboundRequest, type InboundSchemaOptions } from './schema';

export const API_CHANNEL = 'api';

/**
 * The sender's address on the API channel: the caller's own id for the person when it has one, else
 * their email, else their phone. Prefixed so that an id can never collide with an email or phone.
 */
function senderOf(contact: InboundRequest['contact']): Sender {
  const address = contact.externalId !== undefined ? `id:${contact.externalId}` : contact.email !== undefined ? `email:${contact.email}` : `phone:${contact.phone ?? ''}`;
  return { address, name: contact.name, email: contact.email, phone: contact.phone };
}

const inboundResult = z.object({
  contactId: z.string(),
  conversationId: z.string(),
  messageId: z.string(),
  duplicate: z.boolean().describe('true when this sourceId was stored before and nothing was written'),
});

/**
 * The API channel: `POST /api/v1/inbound` takes a customer's message from any system, idempotent on
 * `sourceId`, so a custom channel needs no code in the hub; `POST /api/v1/messages/:id/status` takes
 * the integration's receipts for the replies it was sent.
 */
export function apiChannel(deps: { db: Database; inbound: Inbound; webhook?: WebhookTarget } & InboundSchemaOptions): ChannelModule {
  const inbound = route({
    method: 'post',
    path: '/inbound',
    operationId: 'postInbound',
    summary: "Take a customer's message from a system the hub has no adapter for (idempotent on sourceId)",
    tag: 'Inbound',
    scope: 'write',
    body: inboundSchema(deps),
    example: {
      sourceId: 'crm-msg-1001',
      contact: { externalId: 'cust-42', name: 'Ada Lovelace', email: 'ada@example.com', phone: '+442079460958' },
      body: 'Hi! Can I change the delivery address of order 1042?',
    },
    responses: {
      202: { description: 'Stored: the message is committed and its follow-up work queued', schema: inboundResult },
      200: { description: 'This sourceId was stored before: the same ids, nothing written', schema: inboundResult },
    },
    async handler({ body, apiKey, res }) {
      const result = await deps.inbound.accept({
        kind: 'message',
        message: { channel: API_CHANNEL, externalId: body.sourceId, sender: senderOf(body.contact), body: body.body, attachments: body.attachments, metadata: { apiKeyId: apiKey.id } },
      });
      res.locals.conversationId = result.conversationId;
      const { duplicate, contactId, conversationId, messageId } = result;
      return { status: duplicate ? 200 : 202, body: { duplicate, contactId, conversationId, messageId } };
    },
  });
  const status = statusReportRoute({ db: deps.db, inbound: deps.inbound, channel: API_CHANNEL });
  return { name: API_CHANNEL, http: () => ({ apiRoutes: [inbound, status] }), adapter: new ApiChannelDelivery(deps.webhook) };
}
