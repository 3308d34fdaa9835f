import type { Logger } from 'pino';
import { resolveSender, type Sender } from './contacts/resolve-sender';
import { findOrOpenConversation } from './conversations/find-or-open';
import { Database } from './database';
import { events, type DomainEvent } from './events';
import { newId } from './ids';
import { messagePreview } from './messages/preview';
import { insertRows, repo } from './model/schemas';
import type { Attachment, ChannelName, Message } from './model/types';
import { eventOutboxRow, type Outbox } from './outbox';

/** A customer's message as a channel hands it to core, after verifying and normalizing it. */
export interface InboundMessage {
  channel: ChannelName;
  /** The channel's own id of the message (Twilio MessageSid, API sourceId, ...): unique per channel. */
  externalId: string;
  sender: Sender;
  body: string;
  attachments?: Attachment[];
  metadata?: Record<string, unknown>;
}

export interface IngestResult {
  /** True when this (channel, externalId) was stored before: nothing was written this time. */
  duplicate: boolean;
  contactId: string;
  conversationId: string;
  messageId: string;
}

export interface IngestOptions {
  db: Database;
  outbox: Outbox;
  logger: Logger;
  reopenWindowMs: number;
  /** Told of every message stored (not of duplicates), for metrics. */
  onStored?: (channel: ChannelName) => void;
}

const MAX_ATTEMPTS = 4;

/**
 * The one way a customer message enters the hub: one transaction stores contact, identity, conversation,
 * message and the outbox rows of what follows; after commit the outbox hands the work to the queues.
 */
export class Ingestor {
  constructor(private readonly options: IngestOptions) {}

  async ingest(input: InboundMessage): Promise<IngestResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(input);
      } catch (error) {
        // Concurrent first messages race on the unique (channel, address) and (channel, externalId)
        // keys; the loser retries and finds the winner's rows.
        if (!Database.isUniqueViolation(error) || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }

  private async attempt(input: InboundMessage): Promise<IngestResult> {
    const { db, outbox, reopenWindowMs } = this.options;
    const outcome = await db.transaction(async (manager) => {
      const stored = await repo(manager, 'Message').findOne({
        where: { channel: input.channel, externalId: input.externalId },
        select: { id: true, conversationId: true },
      });
      if (stored) {
        const conversation = await repo(manager, 'Conversation').findOneOrFail({ where: { id: stored.conversationId }, select: { id: true, contactId: true } });
        return { duplicate: true, contactId: conversation.contactId, conversationId: conversation.id, messageId: stored.id, outboxRows: [] };
      }

      const now = new Date();
      const { identity } = await resolveSender(manager, db.engine, input.channel, input.sender, now);
      const { conversation, change } = await findOrOpenConversation(manager, identity, now, reopenWindowMs);

      const message: Message = {
        id: newId(),
        conversationId: conversation.id,
        channel: input.channel,
        direction: 'inbound',
        senderKind: 'contact',
        senderId: identity.contactId,
        body: input.body,
        attachments: input.attachments ?? [],
        externalId: input.externalId,
        deliveryStatus: 'received',
        failureReason: null,
        statusChangedAt: null,
        private: false,
        metadata: input.metadata ?? {},
        createdAt: now,
      };
      await insertRows(manager, 'Message', message);
      const activity = { lastMessageAt: now, lastMessagePreview: messagePreview(message.body, message.attachments), updatedAt: now };
      await repo(manager, 'Conversation').update({ id: conversation.id }, activity);
      const current = { ...conversation, ...activity };

      const happened: DomainEvent[] = [];
      if (change.kind === 'created') happened.push(events.conversationCreated(current, now));
      if (change.kind === 'reopened') happened.push(events.conversationUpdated(current, change.changes, now));
      happened.push(events.messageCreated(message, now));
      const rows = happened.map(eventOutboxRow);
      await outbox.write(manager, rows);
      return { duplicate: false, contactId: identity.contactId, conversationId: current.id, messageId: message.id, outboxRows: rows };
    });

    const { outboxRows, ...result } = outcome;
    const log = this.options.logger.child({ conversationId: result.conversationId });
    if (result.duplicate) {
      log.debug({ channel: input.channel, messageId: result.messageId }, 'duplicate inbound message ignored');
      return result;
    }
    log.info({ channel: input.channel, messageId: result.messageId }, 'inbound message stored');
    this.options.onStored?.(input.channel);
    void outbox.dispatch(outboxRows);
    return result;
  }
}
