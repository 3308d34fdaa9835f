import type { Logger } from 'pino';
import { applyConsent, type Consent } from './contacts/consent';
import { knownSender, newSender, senderLookup, type KnownIdentity, type Sender } from './contacts/resolve-sender';
import { findOrOpenConversation, placeFrom, placeQuery, type ArrivalRoute, type Place, type PlaceRow } from './conversations/find-or-open';
import { followUpsOfContactCancel } from './follow-ups/follow-ups';
import type { Database } from './database';
import { events, type DomainEvent } from './events';
import { newId } from './ids';
import { insertOf } from './model/raw-rows';
import { activityUpdate, insertOriginal } from './messages/store';
import type { Attachment, ChannelName, Message, OutboxEvent } from './model/types';
import { deliveryOutboxRow, eventsOutboxRow, type Outbox } from './outbox';
import { Sql } from './sql';
import { retryOnUniqueViolation } from './unique';

/** A customer's message as a channel hands it to core, after verifying and normalizing it. */
export interface InboundMessage {
  channel: ChannelName;
  /** The channel's own id of the message (Twilio MessageSid, API sourceId, ...): unique per channel. */
  externalId: string;
  sender: Sender;
  body: string;
  attachments?: Attachment[];
  metadata?: Record<string, unknown>;
  /** The business's address the customer wrote to (a Twilio number): picks the conversation and its team. */
  channelAddress?: string;
  /** The message is an opt-out or opt-in keyword, recorded on the sender's address with the message. */
  consent?: Consent;
  /** An automatic answer (an SMS HELP reply), stored and queued for delivery with the message. */
  autoReply?: string;
  /**
   * The thread key: a conversation the channel already knows this message continues (an email's
   * In-Reply-To naming a message of ours). Core uses it before the sender's latest conversation, when it
   * is a conversation of the same channel.
   */
  threadId?: string;
  /**
   * Whether a message the thread key does not place continues the sender's latest conversation (the
   * default) or opens a new one: an email that replies to nothing the hub knows starts a new conversation.
   */
  continuesLatest?: boolean;
  /** The subject of the conversation, should the message open one (an email's Subject). */
  subject?: string;
  /** The message as the channel received it (an email's raw MIME), kept for agents with the message. */
  original?: { contentType: string; content: Buffer };
  /**
   * Work of the channel's own queue that follows from the message (fetching an MMS's media), written as
   * outbox rows in the message's transaction: stored and committed together, and never for a duplicate.
   */
  jobs?: (stored: { messageId: string; conversationId: string }) => readonly InboundJob[];
}

/** One job on a channel's own queue (see ChannelModule.jobs). */
export interface InboundJob {
  queue: string;
  name: string;
  payload: unknown;
}

export interface IngestResult {
  /** True when this (channel, externalId) came in before: nothing was written this time. */
  duplicate: boolean;
  contactId: string;
  conversationId: string;
  messageId: string;
  /** The message as stored, when this call stored it (not for a duplicate). */
  message?: Message;
}

export interface IngestOptions {
  db: Database;
  outbox: Outbox;
  logger: Logger;
  reopenWindowMs: number;
  /** Told of every message stored (not of duplicates), for metrics. */
  onStored?: (channel: ChannelName) => void;
}

/**
 * The one way a customer message enters the hub: one transaction stores contact, identity, conversation,
 * message and the outbox rows of what follows; after commit the outbox hands the work to the queues.
 */
export class Ingestor {
  constructor(private readonly options: IngestOptions) {}

  async ingest(input: InboundMessage): Promise<IngestResult> {
    return retryOnUniqueViolation(() => this.attempt(input));
  }

  private async attempt(input: InboundMessage): Promise<IngestResult> {
    const { db, outbox, reopenWindowMs } = this.options;
    const result = await outbox.runUnit(async ({ manager, write }) => {
      const sql = new Sql(manager, db.engine);
      // Two statements in the common case (a known sender in an open conversation): what is known of the
      // message, its sender and where it goes; then its writes, which PostgreSQL takes as one.
      const route = { channelAddress: input.channelAddress, threadId: input.threadId, continuesLatest: input.continuesLatest, subject: input.subject };
      const seen = await lookUp(sql, input, route);
      if (seen.duplicate) return { duplicate: true, ...seen.duplicate };

      const now = new Date();
      const sender = seen.identity ? await knownSender(sql, input.channel, input.sender, seen.identity, now) : await newSender(sql, input.channel, input.sender, now);
      const identity = input.consent ? await applyConsent(manager, sql, sender.identity, input.consent, now) : sender.identity;
      const change = await findOrOpenConversation(manager, sql, identity, route, now, reopenWindowMs, seen.place);
      const conversationId = change.kind === 'none' ? change.conversationId : change.conversation.id;

      const message = inboundMessage(input, identity.contactId, conversationId, now);
      // Nobody who opted out is messaged, not even automatically.
      const reply = input.autoReply === undefined || identity.optedOutAt ? undefined : automaticReply(message, input.autoReply);
      const { activity, update } = activityUpdate(sql, reply ?? message, false);
      await sql.runAll([insertOf(sql, 'Message', message), ...(reply ? [insertOf(sql, 'Message', reply)] : []), update, followUpsOfContactCancel(identity.contactId, now)]);
      if (input.original) await insertOriginal(sql, message, input.original);

      // The sender's contact first: a subscriber learns of a new contact before its conversation.
      const happened: DomainEvent[] = [...sender.happened];
      if (change.kind !== 'none') {
        const current = { ...change.conversation, ...activity };
        happened.push(change.kind === 'created' ? events.conversationCreated(current, now) : events.conversationUpdated(current, change.changes, now));
      }
      happened.push(events.messageCreated(message, now));
      const rows: OutboxEvent[] = [];
      if (reply) {
        happened.push(events.messageCreated(reply, now));
        rows.push(deliveryOutboxRow({ messageId: reply.id, conversationId }, now));
      }
      rows.unshift(eventsOutboxRow(happened, now));
      rows.push(...jobRows(input, message, now));
      await write(rows);
      return { duplicate: false, contactId: identity.contactId, conversationId, messageId: message.id, message };
    }, { key: `${input.channel}:${input.sender.address}` });

    const { logger } = this.options;
    const fields = { conversationId: result.conversationId, channel: input.channel, messageId: result.messageId };
    if (result.duplicate) {
      logger.debug(fields, 'duplicate inbound message ignored');
      return result;
    }
    logger.info(fields, 'inbound message stored');
    this.options.onStored?.(input.channel);
    return result;
  }
}

interface Seen {
  /** The message as stored before, when this is a redelivery. */
  duplicate?: { messageId: string; conversationId: string; contactId: string };
  /** The sender's identity (locked on PostgreSQL), when the hub knows the address. */
  identity?: KnownIdentity;
  /** Where the message goes, as read with the identity. */
  place?: Place;
}

type SeenRow = Partial<KnownIdentity> & PlaceRow & { duplicateMessageId: string | null; duplicateConversationId: string | null; duplicateContactId: string | null };

/** One statement: whether the message is in already, the sender's identity with its contact, and the message's place. */
async function lookUp(sql: Sql, input: InboundMessage, route: ArrivalRoute): Promise<Seen> {
  const sender = senderLookup(sql, input.channel, input.sender.address);
  const place = placeQuery(route, input.channel, { sql: 's.id', params: [] });
  const [row] = await sql.rows<SeenRow>(
    `WITH duplicate AS (
       SELECT m.id AS "messageId", m."conversationId" AS "conversationId", c."contactId" AS "contactId"
         FROM messages m JOIN conversations c ON c.id = m."conversationId"
        WHERE m.channel = ? AND m.direction = 'inbound' AND m."externalId" = ?),
     sender AS (${sender.text})
     SELECT d."messageId" AS "duplicateMessageId", d."conversationId" AS "duplicateConversationId", d."contactId" AS "duplicateContactId",
            s.id, s."contactId", s."optedOutAt", s."createdAt", s.name, s.email, s.phone${place.columns.map((column) => `, ${column}`).join('')}
       FROM (SELECT 1 AS one) one LEFT JOIN duplicate d ON 1 = 1 LEFT JOIN sender s ON 1 = 1 ${place.joins.join(' ')}`,
    [input.channel, input.externalId, ...sender.params, ...place.params],
  );
  if (row?.duplicateMessageId && row.duplicateConversationId && row.duplicateContactId) {
    return { duplicate: { messageId: row.duplicateMessageId, conversationId: row.duplicateConversationId, contactId: row.duplicateContactId } };
  }
  if (!row?.id || !row.contactId || row.createdAt === undefined) return {};
  return {
    identity: { id: row.id, contactId: row.contactId, optedOutAt: row.optedOutAt ?? null, createdAt: row.createdAt, name: row.name ?? null, email: row.email ?? null, phone: row.phone ?? null },
    place: placeFrom(sql, row),
  };
}

function jobRows(input: InboundMessage, message: Message, now: Date): OutboxEvent[] {
  const jobs = input.jobs?.({ messageId: message.id, conversationId: message.conversationId }) ?? [];
  return jobs.map((job) => ({ id: newId(), ...job, conversationId: message.conversationId, runAt: null, createdAt: now }));
}

/** The stored form of a customer's message. */
function inboundMessage(input: InboundMessage, contactId: string, conversationId: string, now: Date): Message {
  return {
    id: newId(),
    conversationId,
    channel: input.channel,
    direction: 'inbound',
    senderKind: 'contact',
    senderId: contactId,
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
}

/** The hub's own answer to a message, sent on the customer's channel like an agent's reply. */
function automaticReply(to: Message, body: string): Message {
  // A millisecond later than the message it answers, so that both engines list them in that order.
  const at = new Date(to.createdAt.getTime() + 1);
  return {
    ...to,
    id: newId(),
    direction: 'outbound',
    senderKind: 'system',
    senderId: null,
    body,
    attachments: [],
    externalId: null,
    deliveryStatus: 'queued',
    statusChangedAt: at,
    metadata: { autoReplyTo: to.id },
    createdAt: at,
  };
}
