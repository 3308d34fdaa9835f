import type { Actor } from '../actor';
import type { ChannelCatalog } from '../channels/catalog';
import { auditInsert } from '../audit';
import type { Database } from '../database';
import { events } from '../events';
import { newId } from '../ids';
import { rememberIdempotent, replayIdempotent, type IdempotentRequest } from '../idempotency';
import type { Attachment, ChannelIdentity, Conversation, Message } from '../model/types';
import { deliveryOutboxRow, eventsOutboxRow, type Outbox } from '../outbox';
import { assertMayMessage } from '../contacts/consent';
import { NotFoundError } from '../errors';
import { entityOf, insertOf, selectList, type Row } from '../model/raw-rows';
import { Sql } from '../sql';
import { retryOnUniqueViolation } from '../unique';
import { activityUpdate } from './store';

export interface ReplyDeps {
  db: Database;
  outbox: Outbox;
  catalog: ChannelCatalog;
}

export interface ReplyInput {
  body: string;
  /** A private note: stored and shown to agents, never sent to the customer. */
  private: boolean;
  attachments: Attachment[];
  /** Where the reply was written, kept on the message (a Slack reply's `slackTs`). */
  metadata?: Record<string, unknown>;
}

export interface ReplyResult {
  /** The stored reply; on a replay, as the first request with the same Idempotency-Key stored it. */
  message: Message;
  /** True when this is the stored answer to an earlier request with the same Idempotency-Key. */
  replayed: boolean;
}

/**
 * An agent's reply or private note. The message is stored as `queued` (or `internal` for a note) with
 * a delivery job in the same transaction; the first reply sets the conversation's first-response time.
 */
export async function postReply(
  deps: ReplyDeps,
  conversationId: string,
  input: ReplyInput,
  actor: Actor,
  idempotency?: IdempotentRequest,
): Promise<ReplyResult> {
  // Concurrent retries of one Idempotency-Key race on its unique key; the loser replays the winner's message.
  return retryOnUniqueViolation(() => attemptReply(deps, conversationId, input, actor, idempotency));
}

async function attemptReply(
  { db, outbox, catalog }: ReplyDeps,
  conversationId: string,
  input: ReplyInput,
  actor: Actor,
  idempotency: IdempotentRequest | undefined,
): Promise<ReplyResult> {
  return outbox.runUnit(async ({ manager, write }) => {
    if (idempotency) {
      const stored = await replayIdempotent(manager, idempotency);
      if (stored) return { message: stored, replayed: true };
    }
    const sql = new Sql(manager, db.engine);
    const { conversation, recipient } = await lockForReply(sql, conversationId);
    if (!input.private) catalog.assertAccepts(conversation.channel, input);
    if (!input.private) assertMayMessage(recipient);
    const now = new Date();
    const message: Message = {
      id: newId(),
      conversationId,
      channel: conversation.channel,
      direction: 'outbound',
      senderKind: 'agent',
      senderId: actor.agentId,
      body: input.body,
      attachments: input.attachments,
      externalId: null,
      deliveryStatus: input.private ? 'internal' : 'queued',
      failureReason: null,
      statusChangedAt: now,
      private: input.private,
      metadata: { ...input.metadata, ...(actor.type === 'api_key' ? { apiKeyId: actor.id } : {}) },
      createdAt: now,
    };
    const audit = auditInsert(sql, actor, {
      action: input.private ? 'note.created' : 'reply.created',
      entityType: 'message',
      entityId: message.id,
      after: { conversationId, private: input.private, attachments: input.attachments.length },
    });
    const firstResponse = !input.private && conversation.firstResponseAt === null;
    const { activity, update } = activityUpdate(sql, message, firstResponse);
    await sql.runAll([insertOf(sql, 'Message', message), audit, update]);

    const happened = [events.messageCreated(message, now)];
    if (firstResponse) happened.push(events.conversationUpdated({ ...conversation, ...activity }, ['firstResponseAt'], now));
    const rows = [eventsOutboxRow(happened, now)];
    if (!input.private) rows.push(deliveryOutboxRow({ messageId: message.id, conversationId }, now));
    await write(rows);

    if (idempotency) await rememberIdempotent(manager, idempotency, message);
    return { message, replayed: false };
  }, { key: conversationId });
}

const CONVERSATION_SELECT = selectList('c', 'Conversation');

/** The conversation replied to, locked (on PostgreSQL) so that replies and changes of it take turns, with whether its customer may be messaged. */
async function lockForReply(sql: Sql, conversationId: string): Promise<{ conversation: Conversation; recipient: Pick<ChannelIdentity, 'address' | 'optedOutAt'> }> {
  const [row] = await sql.rows<Row & { recipientAddress: string; recipientOptedOutAt: Date | string | null }>(
    `SELECT ${CONVERSATION_SELECT}, i.address AS "recipientAddress", i."optedOutAt" AS "recipientOptedOutAt"
       FROM conversations c JOIN channel_identities i ON i.id = c."identityId"
      WHERE c.id = ?${sql.engine === 'postgres' ? ' FOR UPDATE OF c' : ''}`,
    [conversationId],
  );
  if (!row) throw new NotFoundError(`Conversation ${conversationId}`);
  return {
    conversation: entityOf(sql, row, 'c', 'Conversation'),
    recipient: { address: row.recipientAddress, optedOutAt: sql.readDate(row.recipientOptedOutAt) },
  };
}
