import { Router } from 'express';
import type { Sender } from '../../core/contacts';
import type { Ingestor } from '../../core/ingest';
import { requireScope } from '../../api/http/auth';
import { parseInput } from '../../api/http/validation';
import type { ChannelModule } from '../channel';
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

/**
 * The API channel: `POST /api/v1/inbound` takes a customer's message from any system, idempotent on
 * `sourceId`, so a custom channel needs no code in the hub.
 */
export function apiChannel(deps: { ingestor: Ingestor } & InboundSchemaOptions): ChannelModule {
  const schema = inboundSchema(deps);
  const apiRoutes = Router();
  apiRoutes.post('/inbound', requireScope('write'), async (req, res) => {
    const input = parseInput(schema, req.body);
    const result = await deps.ingestor.ingest({
      channel: API_CHANNEL,
      externalId: input.sourceId,
      sender: senderOf(input.contact),
      body: input.body,
      attachments: input.attachments,
      metadata: { apiKeyId: res.locals.apiKey?.id },
    });
    res.locals.conversationId = result.conversationId;
    res.status(result.duplicate ? 200 : 202).json({
      contactId: result.contactId,
      conversationId: result.conversationId,
      messageId: result.messageId,
      duplicate: result.duplicate,
    });
  });
  return { name: API_CHANNEL, apiRoutes };
}
